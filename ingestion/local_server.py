"""The HTTP plumbing shared by the demo's local stand-ins (the local exchange, the local GitHub):
a threaded server on a free port of 127.0.0.1, started and stopped with the object, used as a
context manager."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

log = logging.getLogger(__name__)


class OwnedServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handlers reach the stand-in that serves through ``owner``."""

    daemon_threads = True
    owner: Any


class LocalServer:
    """Serves ``handler`` on ``host:port`` (port 0: a free one) between :meth:`start` and
    :meth:`stop`, or for the duration of a ``with`` block."""

    def __init__(
        self,
        server_class: type[OwnedServer],
        handler: type[BaseHTTPRequestHandler],
        *,
        host: str,
        port: int,
        name: str,
    ) -> None:
        self.host, self.port = host, port
        self._server_class, self._handler, self._name = server_class, handler, name
        self._server: OwnedServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError(f"the {self._name.replace('-', ' ')} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = self._server_class((self.host, self.port), self._handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
            name=self._name,
            daemon=True,
        )
        self._thread.start()
        log.info("%s at %s", self._name, self.url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass
class PendingFault:
    """A fault applied to the next ``times`` requests whose path (with query) contains
    ``path_contains``."""

    kind: str
    path_contains: str = ""
    times: int = 1

    def matches(self, path: str) -> bool:
        return self.path_contains in path


F = TypeVar("F", bound=PendingFault)


class FaultQueue(Generic[F]):
    """Faults waiting to be applied to requests, shared by the server's threads; each applies to
    the next ``times`` requests it matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[F] = []

    def _push(self, fault: F) -> F:
        with self._lock:
            self._pending.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def pending(self) -> list[F]:
        """Copies of the faults still waiting."""
        with self._lock:
            return [replace(fault) for fault in self._pending]

    def take(self, path: str) -> F | None:
        """The first pending fault matching ``path``, counted as applied once."""
        with self._lock:
            for fault in self._pending:
                if fault.matches(path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._pending.remove(fault)
                    return fault
        return None
