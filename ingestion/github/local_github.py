"""A local GitHub REST API on 127.0.0.1, serving a world of repositories from JSON.

The ``github`` source talks to it exactly as to ``https://api.github.com``, so the demo run and the
tests exercise the same code paths as against GitHub:

- ``/repos/{owner}/{repo}/pulls`` (``state``, ``sort`` = ``created``/``updated``, ``direction``),
  ``/pulls/{number}``, ``/pulls/{number}/reviews``, ``/pulls/{number}/commits``,
  ``/issues`` (``state``, ``since``, ``sort``, ``direction``, ``labels``; pull requests included,
  with their ``pull_request`` key, as GitHub does), ``/releases``, ``/deployments`` (``sha``,
  ``ref``, ``task``, ``environment``), ``/deployments/{id}/statuses``, ``/actions/runs``
  (``created``, ``branch``, ``event``, ``status``, ``head_sha``; wrapped as ``{total_count,
  workflow_runs}``), ``/repos/{owner}/{repo}`` and ``/rate_limit``;
- paging by ``per_page`` (default 30, at most 100) and ``page``, with GitHub's ``Link`` header
  (``prev``, ``next``, ``last``, ``first``);
- a primary rate limit: ``x-ratelimit-limit/remaining/reset/used/resource`` on every answer, a
  budget of ``rate_limit`` requests per ``rate_limit_window_seconds`` and 403 "API rate limit
  exceeded" once it is spent (``/rate_limit``, 304 and 401 answers spend nothing);
- conditional requests: an ``ETag`` on every JSON answer and ``304 Not Modified`` when the
  request's ``If-None-Match`` matches it;
- authentication: with a ``token`` configured, a request whose ``Authorization`` is not
  ``Bearer <token>`` (or ``token <token>``) gets 401 "Bad credentials";
- GitHub's JSON error shape (``message``, ``documentation_url``, ``status``) for 401, 403, 404,
  422 and 429;
- faults, switched from Python (``github.faults.add("secondary_limit", retry_after=1)``) or from
  another process (``POST /_control/faults`` with a JSON body of the same fields,
  ``DELETE /_control/faults``): ``secondary_limit`` (403 with ``retry-after``),
  ``too_many_requests`` (429 with ``retry-after``), ``primary_limit`` (the budget is spent until
  ``retry_after`` seconds from now: 403 with ``x-ratelimit-remaining: 0``), ``server_error``
  (``status``, default 502) and ``disconnect`` (the connection closes without an answer).

The world (``{"now", "repositories": {"owner/repo": {"pulls", "reviews", "pull_commits",
"issues", "releases", "deployments", "deployment_statuses", "workflow_runs"}}}``, objects with
GitHub's field names) is held in :attr:`LocalGitHub.world` and may be changed between requests:
ETags follow the content. ``requests`` logs ``(method, path with query, status)`` of every
request but the control endpoints (status 0: closed without an answer).

Run it in the foreground::

    python -m ingestion.github.local_github --world data/github_world.json --port 8766
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from demo.http_server import (
    FaultQueue,
    LocalServer,
    OwnedServer,
    PendingFault,
    StandInHandler,
    query_params,
)

log = logging.getLogger(__name__)

DOCS_URL = "https://docs.github.com/rest"
RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

FAULT_KINDS = (
    "secondary_limit",  # 403 "You have exceeded a secondary rate limit" with retry-after
    "too_many_requests",  # 429 with retry-after
    "primary_limit",  # the budget is spent until retry_after seconds from now (403, remaining 0)
    "server_error",  # status (default 502)
    "disconnect",  # the connection closes without an answer
)

World = dict[str, Any]


class GitHubApiError(Exception):
    """An error answer in GitHub's shape."""

    def __init__(self, status: int, message: str, documentation_url: str = DOCS_URL) -> None:
        super().__init__(message)
        self.status, self.message, self.documentation_url = status, message, documentation_url


# --- faults ------------------------------------------------------------------------------------


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

    def add(
        self,
        kind: str,
        path_contains: str = "",
        times: int = 1,
        retry_after: int = 1,
        status: int = 502,
    ) -> Fault:
        """Apply ``kind`` to the next ``times`` requests whose path contains ``path_contains``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if times < 1 or retry_after < 0 or not 500 <= status <= 599:
            raise ValueError("times must be >= 1, retry_after >= 0 and status a 5xx")
        return self._push(Fault(kind, path_contains, int(times), int(retry_after), int(status)))


# --- rate limit --------------------------------------------------------------------------------


class RateLimit:
    """GitHub's primary ("core") rate limit: ``limit`` requests per window, which starts with
    the first request after the previous window's reset."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit, self.window_seconds, self._clock = limit, window_seconds, clock
        self._lock = threading.Lock()
        self.used = 0
        self.reset_at = 0

    def _roll(self) -> None:
        now = self._clock()
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = math.ceil(now + self.window_seconds)

    def spend(self) -> bool:
        """Count one request; False (nothing counted) when the budget is spent."""
        with self._lock:
            self._roll()
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def exhaust(self, seconds: float) -> None:
        """Spend the whole budget until ``seconds`` from now."""
        with self._lock:
            self.used = self.limit
            self.reset_at = math.ceil(self._clock() + seconds)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            self._roll()
            return {
                "limit": self.limit,
                "remaining": max(0, self.limit - self.used),
                "reset": self.reset_at,
                "used": self.used,
            }

    def headers(self) -> dict[str, str]:
        state = self.snapshot()
        return {
            "x-ratelimit-limit": str(state["limit"]),
            "x-ratelimit-remaining": str(state["remaining"]),
            "x-ratelimit-reset": str(state["reset"]),
            "x-ratelimit-used": str(state["used"]),
            "x-ratelimit-resource": "core",
        }


# --- the world ---------------------------------------------------------------------------------


def load_world(world: str | Path | Mapping[str, Any]) -> World:
    """A world from a JSON file or a mapping (deep-copied through JSON, so later changes to the
    caller's mapping do not leak in)."""
    if isinstance(world, (str, Path)):
        loaded = json.loads(Path(world).read_text())
    else:
        loaded = json.loads(json.dumps(world))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("repositories"), dict):
        raise ValueError('a GitHub world is a JSON object with a "repositories" object')
    return loaded


def parse_time(text: str) -> datetime:
    """A GitHub timestamp (``2025-03-03T12:00:00Z``) or a date, as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _time_of(item: Mapping[str, Any], field: str) -> datetime:
    value = item.get(field)
    return parse_time(value) if value else datetime.min.replace(tzinfo=UTC)


def _sorted(items: Iterable[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Items ordered by a timestamp field, ties broken by id, as GitHub orders them."""
    return sorted(
        items, key=lambda item: (_time_of(item, field), item.get("id", 0)), reverse=descending
    )


def _direction(params: Mapping[str, str], default: str) -> bool:
    """True for descending."""
    direction = params.get("direction", default)
    if direction not in ("asc", "desc"):
        raise GitHubApiError(422, "Validation Failed: direction must be asc or desc")
    return direction == "desc"


def _state_filter(items: list[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    state = params.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise GitHubApiError(422, "Validation Failed: state must be open, closed or all")
    return items if state == "all" else [item for item in items if item.get("state") == state]


def _since(params: Mapping[str, str]) -> datetime | None:
    text = params.get("since")
    if not text:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise GitHubApiError(422, f"Validation Failed: invalid since {text!r}") from None


_CREATED = re.compile(r"^(>=|<=|>|<)?([0-9TZ:+\-.]+)(?:\.\.([0-9TZ:+\-.]+))?$")


def _created_filter(value: str) -> Callable[[datetime], bool]:
    """GitHub's ``created`` search syntax: ``>=X``, ``<X``, ``X..Y`` or a day ``X``."""
    match = _CREATED.match(value.strip())
    if not match:
        raise GitHubApiError(422, f"Validation Failed: invalid created filter {value!r}")
    operator, first, last = match.groups()
    try:
        low = parse_time(first)
        high = parse_time(last) if last else None
    except ValueError:
        raise GitHubApiError(422, f"Validation Failed: invalid created filter {value!r}") from None
    if high is not None:
        return lambda moment: low <= moment <= high
    checks: dict[str | None, Callable[[datetime], bool]] = {
        ">=": lambda moment: moment >= low,
        "<=": lambda moment: moment <= low,
        ">": lambda moment: moment > low,
        "<": lambda moment: moment < low,
        None: lambda moment: moment.date() == low.date(),
    }
    return checks[operator]


class LocalGitHub(LocalServer):
    """A local GitHub REST API over a world; see the module docstring.

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

    # --- endpoints ---

    def repository(self, full_name: str) -> dict[str, Any]:
        repository = self.world["repositories"].get(full_name)
        if repository is None:
            raise GitHubApiError(404, "Not Found")
        return repository

    def answer(self, path: str, params: Mapping[str, str]) -> tuple[Any, str | None]:
        """The JSON payload of ``GET path`` and, for lists, the key holding the page (``""``
        for a top-level list, ``None`` for a single object)."""
        parts = [part for part in path.split("/") if part]
        if parts[:1] != ["repos"] or len(parts) < 3:
            raise GitHubApiError(404, "Not Found")
        full_name = f"{parts[1]}/{parts[2]}"
        repository = self.repository(full_name)
        rest = parts[3:]
        if not rest:
            owner, name = full_name.split("/")
            return {
                "full_name": full_name,
                "name": name,
                "owner": {"login": owner},
                "default_branch": repository.get("default_branch", "main"),
            }, None
        if rest == ["pulls"]:
            return self._pulls(repository, params), ""
        if len(rest) >= 2 and rest[0] == "pulls" and rest[1].isdigit():
            return self._pull_part(repository, int(rest[1]), rest[2:])
        if rest == ["issues"]:
            return self._issues(repository, params), ""
        if rest == ["releases"]:
            return _sorted(repository.get("releases", []), "created_at", True), ""
        if rest == ["deployments"]:
            return self._deployments(repository, params), ""
        if len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
            ids = {str(deployment["id"]) for deployment in repository.get("deployments", [])}
            if rest[1] not in ids:
                raise GitHubApiError(404, "Not Found")
            statuses = repository.get("deployment_statuses", {}).get(rest[1], [])
            return sorted(statuses, key=lambda status: status["id"], reverse=True), ""
        if rest == ["actions", "runs"]:
            return self._workflow_runs(repository, params), "workflow_runs"
        raise GitHubApiError(404, "Not Found")

    def _pulls(
        self, repository: Mapping[str, Any], params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        pulls = _state_filter(list(repository.get("pulls", [])), params)
        sort = params.get("sort", "created")
        if sort not in ("created", "updated", "popularity", "long-running"):
            raise GitHubApiError(422, "Validation Failed: sort is not one of the allowed values")
        descending = _direction(params, "desc" if sort == "created" else "asc")
        if "base" in params:
            pulls = [pull for pull in pulls if pull.get("base", {}).get("ref") == params["base"]]
        field = "updated_at" if sort == "updated" else "created_at"
        return _sorted(pulls, field, descending)

    def _pull_part(
        self, repository: Mapping[str, Any], number: int, rest: list[str]
    ) -> tuple[Any, str | None]:
        pull = next((p for p in repository.get("pulls", []) if p.get("number") == number), None)
        if pull is None:
            raise GitHubApiError(404, "Not Found")
        if not rest:
            return pull, None
        if rest == ["reviews"]:
            reviews = repository.get("reviews", {}).get(str(number), [])
            return _sorted(reviews, "submitted_at", False), ""
        if rest == ["commits"]:
            return list(repository.get("pull_commits", {}).get(str(number), []))[:250], ""
        raise GitHubApiError(404, "Not Found")

    def _issues(
        self, repository: Mapping[str, Any], params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        issues = _state_filter(list(repository.get("issues", [])), params)
        since = _since(params)
        if since is not None:
            issues = [issue for issue in issues if _time_of(issue, "updated_at") >= since]
        if params.get("labels"):
            wanted = {name.strip() for name in params["labels"].split(",") if name.strip()}
            issues = [
                issue
                for issue in issues
                if wanted <= {label.get("name") for label in issue.get("labels", [])}
            ]
        sort = params.get("sort", "created")
        if sort not in ("created", "updated", "comments"):
            raise GitHubApiError(422, "Validation Failed: sort is not one of the allowed values")
        field = "updated_at" if sort == "updated" else "created_at"
        return _sorted(issues, field, _direction(params, "desc"))

    def _deployments(
        self, repository: Mapping[str, Any], params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        deployments = list(repository.get("deployments", []))
        for field in ("sha", "ref", "task", "environment"):
            if field in params:
                deployments = [d for d in deployments if d.get(field) == params[field]]
        return sorted(deployments, key=lambda deployment: deployment["id"], reverse=True)

    def _workflow_runs(
        self, repository: Mapping[str, Any], params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        runs = list(repository.get("workflow_runs", []))
        if params.get("created"):
            matches = _created_filter(params["created"])
            runs = [run for run in runs if matches(_time_of(run, "created_at"))]
        if "branch" in params:
            runs = [run for run in runs if run.get("head_branch") == params["branch"]]
        if "event" in params:
            runs = [run for run in runs if run.get("event") == params["event"]]
        if "head_sha" in params:
            runs = [run for run in runs if run.get("head_sha") == params["head_sha"]]
        if "status" in params:
            wanted = params["status"]
            runs = [run for run in runs if wanted in (run.get("status"), run.get("conclusion"))]
        return _sorted(runs, "created_at", True)

    def rate_limit_payload(self) -> dict[str, Any]:
        core = self.rate.snapshot()
        return {"resources": {"core": core}, "rate": core}


def etag_of(body: bytes) -> str:
    """A weak ETag over the answer's bytes, in GitHub's ``W/"…"`` form."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    bare = etag.removeprefix("W/")
    candidates = {candidate.strip() for candidate in header.split(",")}
    return "*" in candidates or any(c.removeprefix("W/") == bare for c in candidates)


def _per_page_and_page(params: Mapping[str, str]) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        value = params.get(name, "")
        return int(value) if value.isdigit() and int(value) > 0 else default

    return min(number("per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE), number("page", 1)


def link_header(base_url: str, path: str, params: Mapping[str, str], page: int, last: int) -> str:
    """GitHub's ``Link`` header for ``page`` of ``last`` pages (empty for a single page)."""
    if last <= 1:
        return ""

    def url(number: int) -> str:
        return f"{base_url}{path}?{urlencode({**params, 'page': str(number)})}"

    links = []
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return ", ".join(links)


# --- HTTP --------------------------------------------------------------------------------------


class _Server(OwnedServer):
    owner: LocalGitHub


class _Handler(StandInHandler):
    server: _Server
    server_version = "tributary-local-github"
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    json_type = "application/json; charset=utf-8"
    no_content_type = None

    def serve(self, method: str, path: str, target: str) -> None:
        github = self.server.owner
        fault = github.faults.take(target)
        if fault is not None:
            log.info("fault %s on %s %s", fault.kind, method, target)
            if fault.kind == "disconnect":
                self.close_connection = True
                return
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
                payload, page_key = github.answer(path, params)
        except GitHubApiError as error:
            self._error(error)
            return
        headers: dict[str, str] = {}
        if page_key is not None:
            items = payload
            per_page, page = _per_page_and_page(params)
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


# --- command line ------------------------------------------------------------------------------


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--world", type=Path, required=True, help="world JSON file to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="require this token (default: none)")
    parser.add_argument("--rate-limit", type=int, default=5000, help="requests per window")
    parser.add_argument("--rate-limit-window", type=float, default=3600.0, help="seconds")
    args = parser.parse_args(None if argv is None else list(argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    github = LocalGitHub(
        args.world,
        args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_limit_window_seconds=args.rate_limit_window,
    )
    github.serve_in_foreground(f"local GitHub serving {args.world}")


if __name__ == "__main__":
    main()
