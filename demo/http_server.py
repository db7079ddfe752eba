"""The HTTP plumbing shared by the demo's local stand-ins (the local exchange, the local GitHub).

- :class:`LocalServer`: a threaded server on a free port of 127.0.0.1, started and stopped with
  the object or used as a context manager, logging ``(method, path with query, status)`` of every
  request but the control endpoints in ``requests`` (status 0: closed without an answer);
- :class:`FaultQueue`: faults waiting to be applied to the next matching requests;
- :class:`StandInHandler`: request dispatch (control endpoints, the request log, connections the
  client dropped) and the ``/_control`` endpoints: ``POST /_control/faults`` adds a fault (a JSON
  body of the ``faults.add`` arguments), ``GET`` lists the pending ones, ``DELETE`` clears them,
  ``GET /_control/requests`` returns the request log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


class OwnedServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handlers reach the stand-in that serves through ``owner``."""

    daemon_threads = True
    owner: Any


class LocalServer:
    """Serves ``handler`` on ``host:port`` (port 0: a free one) between :meth:`start` and
    :meth:`stop`, or for the duration of a ``with`` block. Subclasses set ``faults``."""

    faults: FaultQueue[Any]

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
        self.requests: list[tuple[str, str, int]] = []

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

    def serve_in_foreground(self, what: str) -> None:
        """Start, print ``<what> at <url>`` (the line a caller waits for) and serve until
        interrupted, logging to stderr."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        with self:
            print(f"{what} at {self.url}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()


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

    kinds: tuple[str, ...] = ()
    """The fault kinds the stand-in knows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[F] = []

    def _check_kind(self, kind: str) -> None:
        if kind not in self.kinds:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(self.kinds)}")

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


def query_params(target: str) -> dict[str, str]:
    """The query parameters of a request target (the last value of each)."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(target).query).items()}


class StandInHandler(BaseHTTPRequestHandler):
    """Dispatch shared by the stand-ins: ``/_control/...`` to :meth:`control`, everything else to
    :meth:`serve`, which each stand-in implements, with the pending fault that applies to it
    (``disconnect`` is applied here); :meth:`send` logs the request before answering, so the log
    is complete once the client has the answer."""

    server: OwnedServer
    protocol_version = "HTTP/1.1"
    timeout = 60
    json_type = "application/json"
    """Content type of JSON answers, the control endpoints' included."""
    no_content_type: str | None = "application/json"
    """Content type of the control endpoints' 204 answers (None: no header)."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        path = urlsplit(self.path).path
        self.method, self.logged, self.truncate = method, False, False
        if path.startswith("/_control/"):
            self.logged = True  # the request log leaves the control endpoints out
            self.control(method, path)
            return
        try:
            fault = self.server.owner.faults.take(self.path)
            if fault is not None:
                log.info("fault %s on %s %s", fault.kind, method, self.path)
                if fault.kind == "disconnect":  # every stand-in has it
                    self.close_connection = True
                    return
            self.serve(method, path, self.path, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if not self.logged:  # closed without an answer
                self.server.owner.requests.append((method, self.path, 0))

    def serve(self, method: str, path: str, target: str, fault: Any) -> None:
        """Answer ``method`` on ``path`` (``target``: the path with its query), with ``fault``
        the fault that applies to this request (None: none does)."""
        raise NotImplementedError

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer: content headers, then ``headers`` (a stand-in adds the headers of every answer
        it gives); with ``truncate`` set, the full Content-Length but half the body, then the
        connection closes."""
        if not self.logged:  # before answering, so the log is complete once the client has it
            self.server.owner.requests.append((self.method, self.path, status))
            self.logged = True
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if body:
            self.wfile.write(body)

    def send_json(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send(status, body, self.json_type, headers)

    def control_not_found(self) -> None:
        """The answer to an unknown control endpoint."""
        self.send(404, b"not found\n", "text/plain")

    def control(self, method: str, path: str) -> None:
        """The ``/_control`` endpoints: faults (add, list, clear) and the request log."""
        owner = self.server.owner
        if path == "/_control/faults" and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            try:
                spec = json.loads(self.rfile.read(length) or b"{}")
                fault = owner.faults.add(**spec)
            except (TypeError, ValueError) as error:
                self.send_json(400, json.dumps({"error": str(error)}).encode())
                return
            self.send_json(201, json.dumps(asdict(fault)).encode())
        elif path == "/_control/faults" and method == "DELETE":
            owner.faults.clear()
            self.send(204, b"", self.no_content_type)
        elif path == "/_control/faults" and method == "GET":
            pending = [asdict(fault) for fault in owner.faults.pending()]
            self.send_json(200, json.dumps(pending).encode())
        elif path == "/_control/requests" and method == "GET":
            self.send_json(200, json.dumps(owner.requests).encode())
        else:
            self.control_not_found()
