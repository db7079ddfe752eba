"""HTTP to the GitHub REST API: authentication, rate limits, retries and conditional requests.

:class:`GitHubSession` is the ``requests`` session that :class:`~ingestion.github.client.GitHubApi`
gives dlt's :class:`RESTClient`: everything GitHub-specific happens in its ``send``, which wraps
each request:

- authentication: ``Authorization: Bearer <token>`` is added to requests for the configured host
  only, after dlt has logged the request, so the token appears in no log line, exception or repr;
- the primary rate limit: ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` of every answer are
  kept; once the budget is spent, the next request first waits for the reset. A 403/429 answered
  with ``x-ratelimit-remaining: 0`` waits for the reset and is retried. A wait longer than
  ``max_rate_limit_wait_seconds`` is not made: a :class:`GitHubError` says when the limit resets;
- secondary rate limits: a 403/429 with ``retry-after`` waits that long and is retried (without
  the header, a 429 or a 403 saying "secondary rate limit" waits ``secondary_limit_wait_seconds``,
  doubling per attempt, as GitHub asks);
- 5xx answers and connection failures (refused, reset, dropped, timed out, cut short) are retried
  with exponential backoff, ``backoff_factor * 2 ** (attempt - 1)`` seconds;
- after ``max_attempts`` attempts, and at once for any other 4xx (401 bad credentials, 403
  forbidden, 404, 422), a :class:`GitHubError` names the request and what GitHub said;
- conditional requests: for the list endpoints that rarely change (:data:`CONDITIONAL_PATHS`)
  the ETag, body and ``Link`` header of each page are kept in an
  :class:`~ingestion.github.etag_cache.EtagCache` (one small file per URL under a folder that
  survives across runs) and sent back as ``If-None-Match``;
  a ``304 Not Modified``, which GitHub does not count against the rate limit, is answered from
  the cache as if GitHub had sent the page again.

dlt's default session (:class:`dlt.sources.helpers.requests.Client`) retries 429 and 5xx too,
but it neither waits for ``x-ratelimit-reset`` nor retries GitHub's 403 rate-limit answers, and
its waits are capped by one global setting: a session of our own says all of it in one place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from dlt.sources.helpers.rest_client.redaction import sanitize_url
from requests.hooks import dispatch_hook

from ingestion.github.etag_cache import CachedPage, EtagCache, is_conditional

log = logging.getLogger(__name__)


RATE_LIMIT_MARGIN_SECONDS = 0.5
"""Waited past ``x-ratelimit-reset``, for clock skew and the rounding of the reset second."""


CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class GitHubError(Exception):
    """A GitHub request that cannot succeed (now); the message names the request and says what
    GitHub answered. It never holds the access token."""


@dataclass(frozen=True)
class HttpSettings:
    """How hard :class:`GitHubSession` tries; tests shorten the waits."""

    max_attempts: int = 5
    backoff_factor: float = 1.0
    """First wait (seconds) after a 5xx or a connection failure; doubled per attempt."""
    max_backoff_seconds: float = 60.0
    max_rate_limit_wait_seconds: float = 900.0
    """The longest wait for a rate limit (reset or ``retry-after``) that is made; beyond it the
    run fails with a :class:`GitHubError` saying when to try again."""
    secondary_limit_wait_seconds: float = 60.0
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if min(self.backoff_factor, self.max_rate_limit_wait_seconds, self.timeout_seconds) < 0:
            raise ValueError("waits and timeouts must be >= 0")


@dataclass
class SessionStats:
    """What the session did, for logs and tests."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0


class GitHubSession(requests.Session):
    """A ``requests`` session speaking GitHub's REST conventions; see the module docstring.

    ``token`` goes to requests for ``base_url``'s host only. ``sleep`` and ``clock`` are
    injectable so that tests can observe the waits.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        settings: HttpSettings | None = None,
        cache: EtagCache | None = None,
        *,
        conditional: Callable[[str], bool] = is_conditional,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._origin = _origin(base_url)
        self._authorization = f"Bearer {token}" if token else None
        self.settings = settings or HttpSettings()
        self.cache = cache
        self.conditional = conditional
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: int | None = None
        self.stats = SessionStats()

    def __repr__(self) -> str:  # never shows the token
        authenticated = "with a token" if self._authorization else "without a token"
        return f"GitHubSession({self._origin}, {authenticated})"

    @property
    def has_token(self) -> bool:
        return self._authorization is not None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send ``request`` with GitHub's authentication, limits, retries and ETags; return a
        2xx answer (a 304 turned into the cached 200) or raise :class:`GitHubError`."""
        hooks = request.hooks
        request.hooks = {"response": []}  # the caller's hooks see the final answer only
        url = request.url or ""
        what = f"{request.method} {sanitize_url(url)}"
        cached = None
        if self.cache is not None and request.method == "GET" and self.conditional(url):
            cached = self.cache.get(url)
        if cached is not None:
            request.headers["If-None-Match"] = cached.etag
        if self._authorization and _origin(url) == self._origin:
            request.headers["Authorization"] = self._authorization
        else:
            request.headers.pop("Authorization", None)
        kwargs.setdefault("timeout", self.settings.timeout_seconds)
        try:
            response = self._send_with_retries(request, what, cached, kwargs)
        finally:
            request.headers.pop("Authorization", None)
            request.hooks = hooks
        return dispatch_hook("response", hooks, response, **kwargs)

    def _send_with_retries(
        self,
        request: requests.PreparedRequest,
        what: str,
        cached: CachedPage | None,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            self._wait_for_reset(what)
            self.stats.requests += 1
            try:
                response = super().send(request, **kwargs)
            except CONNECTION_ERRORS as error:
                reason = f"{type(error).__name__}: no complete answer"
                if last:
                    raise GitHubError(
                        f"{what}: no answer from GitHub after {attempts} attempts ({reason}); "
                        "check sources.github.base_url (SOURCES__GITHUB__BASE_URL) and the "
                        "network, or unset it to use the local demo GitHub"
                    ) from None
                self._backoff(attempt, what, reason)
                continue
            self._note_rate_limit(response)
            status = response.status_code
            if status == 304 and cached is not None:
                self.stats.not_modified += 1
                return cached.response(request)
            if 200 <= status < 300:
                etag = response.headers.get("ETag")
                if self.cache is not None and etag and self.conditional(response.url or ""):
                    page = CachedPage(etag, response.text, response.headers.get("Link"))
                    self.cache.put(request.url or "", page)
                return response
            message = github_message(response)
            if status in (403, 429):
                wait = self._rate_limit_wait(response, message, attempt)
                if wait is not None:
                    if last:
                        raise GitHubError(
                            f"{what}: HTTP {status} rate limited on all {attempts} attempts "
                            f"({message})"
                        )
                    self._wait(wait, what, f"HTTP {status} rate limit ({message})", limit=True)
                    continue
            if status >= 500:
                if last:
                    raise GitHubError(
                        f"{what}: HTTP {status} from GitHub on all {attempts} attempts ({message})"
                    )
                self._backoff(attempt, what, f"HTTP {status}")
                continue
            raise GitHubError(f"{what}: HTTP {status}: {message}{self._hint(status)}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _hint(self, status: int) -> str:
        if status == 401:
            if self.has_token:
                return (
                    "; GitHub did not accept the access token: check sources.github.access_token "
                    "or GITHUB_TOKEN"
                )
            return "; set an access token in sources.github.access_token or GITHUB_TOKEN"
        if status == 404:
            return "; the repository or resource does not exist, or the token cannot see it"
        if status == 403:
            return "; the token lacks the permission this endpoint needs"
        return ""

    # --- waits ---

    def _backoff(self, attempt: int, what: str, reason: str) -> None:
        settings = self.settings
        wait = min(settings.max_backoff_seconds, settings.backoff_factor * 2 ** (attempt - 1))
        self.stats.retries += 1
        self._wait(wait, what, reason, limit=False)

    def _wait(self, seconds: float, what: str, reason: str, *, limit: bool) -> None:
        log.warning("%s: %s; retrying in %.1f s", what, reason, seconds)
        if limit:
            self.stats.rate_limit_waits += 1
        self.stats.waited_seconds += seconds
        self._sleep(seconds)

    def _rate_limit_wait(
        self, response: requests.Response, message: str, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying a 403/429, or None when it is not a rate limit.

        Raises :class:`GitHubError` when the wait would exceed ``max_rate_limit_wait_seconds``.
        """
        settings = self.settings
        what = f"{response.request.method} {sanitize_url(response.url or '')}"
        retry_after = response.headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            wait = float(retry_after)
            resets_at = self._clock() + wait
        elif response.headers.get("x-ratelimit-remaining") == "0":
            reset = _integer(response.headers.get("x-ratelimit-reset"))
            resets_at = float(reset) if reset is not None else self._clock() + 60
            wait = max(0.0, resets_at - self._clock()) + RATE_LIMIT_MARGIN_SECONDS
        elif response.status_code == 429 or "secondary rate limit" in message.lower():
            wait = settings.secondary_limit_wait_seconds * 2 ** (attempt - 1)
            resets_at = self._clock() + wait
        else:
            return None
        if wait > settings.max_rate_limit_wait_seconds:
            raise GitHubError(
                f"{what}: GitHub's rate limit is exhausted ({message}); it resets at "
                f"{_iso(resets_at)}, in {wait:.0f} s, which is more than "
                f"max_rate_limit_wait_seconds={settings.max_rate_limit_wait_seconds:g}: run again "
                "after the reset or raise sources.github.max_rate_limit_wait_seconds"
            )
        return wait

    def _note_rate_limit(self, response: requests.Response) -> None:
        remaining = _integer(response.headers.get("x-ratelimit-remaining"))
        reset = _integer(response.headers.get("x-ratelimit-reset"))
        if remaining is not None:
            with self._lock:
                self.rate_limit_remaining, self.rate_limit_reset = remaining, reset

    def _wait_for_reset(self, what: str) -> None:
        """Before a request: when the last answer said the budget is spent, wait for the reset."""
        with self._lock:
            remaining, reset = self.rate_limit_remaining, self.rate_limit_reset
        if remaining != 0 or reset is None:
            return
        wait = reset - self._clock() + RATE_LIMIT_MARGIN_SECONDS
        if wait <= 0:
            return
        if wait > self.settings.max_rate_limit_wait_seconds:
            raise GitHubError(
                f"{what}: GitHub's rate limit is exhausted (x-ratelimit-remaining 0); it resets "
                f"at {_iso(reset)}, in {wait:.0f} s, which is more than "
                f"max_rate_limit_wait_seconds={self.settings.max_rate_limit_wait_seconds:g}: run "
                "again after the reset or raise sources.github.max_rate_limit_wait_seconds"
            )
        self._wait(wait, what, "rate limit spent (x-ratelimit-remaining 0)", limit=True)
        with self._lock:
            self.rate_limit_remaining = None


def github_message(response: requests.Response) -> str:
    """GitHub's error ``message``, or the start of a non-JSON body, or the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason or "no message"
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(body)[:200]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _integer(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
