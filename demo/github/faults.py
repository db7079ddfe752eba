"""The local GitHub's switchable faults: what goes wrong with the next matching requests."""

from __future__ import annotations

from dataclasses import dataclass

from demo.http_server import FaultQueue, PendingFault

FAULT_KINDS = (
    "secondary_limit",  # 403 "You have exceeded a secondary rate limit" with retry-after
    "too_many_requests",  # 429 with retry-after
    "primary_limit",  # the budget is spent until retry_after seconds from now (403, remaining 0)
    "server_error",  # status (default 502)
    "disconnect",  # the connection closes without an answer
)


@dataclass
class Fault(PendingFault):
    """A fault of the local GitHub, one of ``FAULT_KINDS``."""

    retry_after: int = 1
    """Seconds: ``retry-after`` of ``secondary_limit`` and ``too_many_requests``; time until the
    reset of ``primary_limit``."""
    status: int = 502
    """HTTP status of ``server_error``."""


class Faults(FaultQueue[Fault]):
    """The faults waiting to be applied, shared by the server's threads."""

    kinds = FAULT_KINDS

    def add(
        self,
        kind: str,
        path_contains: str = "",
        times: int = 1,
        retry_after: int = 1,
        status: int = 502,
    ) -> Fault:
        """Apply ``kind`` to the next ``times`` requests whose path contains ``path_contains``."""
        self._check_kind(kind)
        if times < 1 or retry_after < 0 or not 500 <= status <= 599:
            raise ValueError("times must be >= 1, retry_after >= 0 and status a 5xx")
        return self._push(Fault(kind, path_contains, int(times), int(retry_after), int(status)))
