"""A Binance-archive mirror folder served over real HTTP: a ``ThreadingHTTPServer`` on 127.0.0.1
that records every request and can misbehave on demand (:class:`ArchiveServer`, :func:`serve`)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


@dataclass(frozen=True)
class Request:
    path: str
    status: int
    at: float
    """``time.monotonic()`` when the answer was sent."""


@dataclass
class ArchiveServer:
    """A mirror folder served over HTTP that records every request and can misbehave.

    ``fail(path, *faults)`` makes the next requests of ``path`` answer with the given faults, one
    per request, before it is served normally again: an HTTP status (with ``Retry-After: 1``),
    ``TRUNCATED`` (half the body with the full ``Content-Length``, then the
    connection closes) or ``SHORT`` (half the body without a ``Content-Length``, so the client
    cannot tell).
    """

    directory: Path
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[int | str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, *faults: int | str) -> None:
        with self.lock:
            self.faults[path] = list(faults)

    def next_fault(self, path: str) -> int | str | None:
        with self.lock:
            pending = self.faults.get(path)
            return pending.pop(0) if pending else None

    def record(self, path: str, status: int) -> None:
        with self.lock:
            self.requests.append(Request(path, status, time.monotonic()))

    def requested(self, suffix: str = ".zip") -> list[str]:
        """Paths requested so far that end with ``suffix``, in order."""
        return [request.path for request in self.requests if request.path.endswith(suffix)]

    def statuses(self, path: str) -> list[int]:
        return [request.status for request in self.requests if request.path == path]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


TRUNCATED = "truncated"
SHORT = "short"


class _ArchiveHandler(SimpleHTTPRequestHandler):
    def _archive(self) -> ArchiveServer:
        return self.server.archive  # type: ignore[attr-defined]

    def _relative_path(self) -> str:
        return urlparse(self.path).path.lstrip("/")

    def do_GET(self) -> None:
        fault = self._archive().next_fault(self._relative_path())
        if fault is None:
            super().do_GET()
        elif isinstance(fault, int):
            self.send_response(fault)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            content = (self._archive().directory / self._relative_path()).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            if fault == TRUNCATED:
                self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content[: len(content) // 2])
            self.close_connection = True

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        self._archive().record(self._relative_path(), int(code))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[ArchiveServer]:
    """Serve ``directory`` over HTTP on a free local port."""
    archive = ArchiveServer(directory)
    handler = functools.partial(_ArchiveHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.archive = archive  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        archive.base_url = f"http://{host}:{port}"
        yield archive
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
