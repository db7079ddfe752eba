"""The local exchange's switchable faults: what goes wrong with the next matching requests."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from demo.http_server import FaultQueue, PendingFault

FAULT_KINDS = (
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 503
    "ban",  # 418 with Retry-After
    "truncate",  # full Content-Length, half of the body, then the connection closes
    "bad_checksum",  # a .CHECKSUM whose hash is wrong (only matches .CHECKSUM paths)
    "disconnect",  # the connection closes without an answer
    "slow",  # the answer comes after delay_seconds (to trip client timeouts)
)


@dataclass
class Fault(PendingFault):
    """A fault of the local exchange, one of ``FAULT_KINDS``."""

    retry_after: int = 1
    """Seconds, sent as ``Retry-After`` with ``rate_limit`` and ``ban``."""
    delay_seconds: float = 2.0
    """How long a ``slow`` answer waits."""

    def matches(self, path: str) -> bool:
        if self.kind == "bad_checksum" and not urlsplit(path).path.endswith(".CHECKSUM"):
            return False
        return super().matches(path)


class Faults(FaultQueue[Fault]):
    """The faults waiting to be applied, shared by the server's threads."""

    kinds = FAULT_KINDS

    def add(
        self,
        kind: str,
        path_contains: str = "",
        times: int = 1,
        retry_after: int = 1,
        delay_seconds: float = 2.0,
    ) -> Fault:
        """Apply ``kind`` to the next ``times`` requests whose path contains ``path_contains``."""
        self._check_kind(kind)
        if times < 1 or retry_after < 0 or delay_seconds < 0:
            raise ValueError("times must be >= 1; retry_after and delay_seconds >= 0")
        return self._push(
            Fault(kind, path_contains, int(times), int(retry_after), float(delay_seconds))
        )
