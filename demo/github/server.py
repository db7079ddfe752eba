"""The local GitHub's server: :class:`LocalGitHub` and how it answers a request (faults,
authentication, pages, ETags, the rate limit); see :mod:`demo.github` for what it serves."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from demo.github.endpoints import GitHubApiError, World, answer, load_world
from demo.github.faults import Fault, Faults
from demo.github.paging import etag_matches, etag_of, link_header, per_page_and_page
from demo.github.rate_limit import RateLimit
from demo.http_server import LocalServer, OwnedServer, StandInHandler, query_params

RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"


class LocalGitHub(LocalServer):
    """A local GitHub REST API over a world; see :mod:`demo.github`.

    ``token`` turns on authentication; ``rate_limit`` requests per ``rate_limit_window_seconds``
    is the primary budget (GitHub: 5000 per hour for a token).
    """

    def __init__(
        self,
        world: str | Path | Mapping[str, Any],
        token: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 5000,
        rate_limit_window_seconds: float = 3600.0,
    ) -> None:
        super().__init__(_Server, _Handler, host=host, port=port, name="local-github")
        self.world: World = load_world(world)
        self._token = token
        self.rate = RateLimit(rate_limit, rate_limit_window_seconds, time.time)
        self.faults = Faults()
        self.lock = threading.RLock()
        """Held while an answer is computed: hold it to change :attr:`world` under traffic."""

    def __repr__(self) -> str:  # never shows the token
        state = "stopped" if self._server is None else self.url
        return f"LocalGitHub({state}, {len(self.world['repositories'])} repositories)"

    def authorized(self, header: str | None) -> bool:
        if self._token is None:
            return True
        return header in (f"Bearer {self._token}", f"token {self._token}")

    def rate_limit_payload(self) -> dict[str, Any]:
        core = self.rate.snapshot()
        return {"resources": {"core": core}, "rate": core}


class _Server(OwnedServer):
    owner: LocalGitHub


class _Handler(StandInHandler):
    server: _Server
    server_version = "tributary-local-github"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    json_type = "application/json; charset=utf-8"
    no_content_type = None

    def serve(self, method: str, path: str, target: str, fault: Fault | None) -> None:
        github = self.server.owner
        if fault is not None:
            if fault.kind == "server_error":
                self.send(fault.status, b"", "text/plain")
                return
            if fault.kind == "primary_limit":
                github.rate.exhaust(fault.retry_after)
            else:
                status = 403 if fault.kind == "secondary_limit" else 429
                self._error(
                    GitHubApiError(
                        status,
                        "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
                        RATE_LIMIT_DOCS_URL,
                    ),
                    {"retry-after": str(fault.retry_after)},
                )
                return
        if method != "GET":
            self._error(GitHubApiError(404, "Not Found"))
            return
        if not github.authorized(self.headers.get("Authorization")):
            self._error(GitHubApiError(401, "Bad credentials"))
            return
        params = query_params(target)
        if path.rstrip("/") == "/rate_limit":
            self.send_json(200, json.dumps(github.rate_limit_payload()).encode())
            return
        try:
            with github.lock:
                payload, page_key = answer(github.world, path, params)
        except GitHubApiError as error:
            self._error(error)
            return
        headers: dict[str, str] = {}
        if page_key is not None:
            items = payload
            per_page, page = per_page_and_page(params)
            last = max(1, math.ceil(len(items) / per_page))
            chunk = items[(page - 1) * per_page : page * per_page]
            payload = chunk if page_key == "" else {"total_count": len(items), page_key: chunk}
            link = link_header(github.url, path, params, page, last)
            if link:
                headers["Link"] = link
        body = json.dumps(payload, separators=(",", ":")).encode()
        etag = etag_of(body)
        headers["ETag"] = etag
        if etag_matches(self.headers.get("If-None-Match"), etag):
            self.send(304, b"", None, {"ETag": etag})  # a 304 spends nothing
            return
        if not github.rate.spend():
            reset = github.rate.snapshot()["reset"]
            self._error(
                GitHubApiError(
                    403,
                    f"API rate limit exceeded for user. The limit resets at {reset} (epoch s).",
                    RATE_LIMIT_DOCS_URL,
                )
            )
            return
        self.send_json(200, body, headers)

    def _error(self, error: GitHubApiError, headers: dict[str, str] | None = None) -> None:
        payload = {
            "message": error.message,
            "documentation_url": error.documentation_url,
            "status": str(error.status),
        }
        self.send_json(error.status, json.dumps(payload).encode(), headers)

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Every answer carries the API version and the rate limit's state."""
        version = {"X-GitHub-Api-Version-Selected": "2022-11-28"}
        rate = self.server.owner.rate.headers()
        super().send(status, body, content_type, {**version, **rate, **(headers or {})})

    def control_not_found(self) -> None:
        self.send_json(404, b'{"message":"Not Found"}')
