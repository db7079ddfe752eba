"""Conditional requests to GitHub: the ETag, body and ``Link`` header of each list page, kept.

For the list endpoints that rarely change (:data:`CONDITIONAL_PATHS`) the session sends the kept
ETag as ``If-None-Match``; a ``304 Not Modified``, which GitHub does not count against the rate
limit, is answered from the cache as if GitHub had sent the page again. One small file per URL,
under a folder that survives across runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

CONDITIONAL_PATHS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/repos/[^/]+/[^/]+/releases$",
        r"^/repos/[^/]+/[^/]+/deployments$",
        r"^/repos/[^/]+/[^/]+/deployments/\d+/statuses$",
        r"^/repos/[^/]+/[^/]+/pulls/\d+/reviews$",
        r"^/repos/[^/]+/[^/]+/pulls/\d+/commits$",
    )
)
"""List endpoints asked with ``If-None-Match``: they rarely change and carry no ``since``
parameter, so the same URL is asked run after run."""


@dataclass(frozen=True)
class CachedPage:
    """A page as GitHub last sent it: enough to answer a 304 with the same data."""

    etag: str
    body: str
    link: str | None

    def response(self, request: requests.PreparedRequest) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK (not modified, from the ETag cache)"
        response._content = self.body.encode()
        response.encoding = "utf-8"
        headers = {"Content-Type": "application/json", "ETag": self.etag, "X-From-Cache": "1"}
        if self.link:
            headers["Link"] = self.link
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url or ""
        response.request = request
        return response


class EtagCache:
    """ETags and bodies of list pages, one JSON file per URL under a folder.

    A file per URL keeps every write small and atomic (written aside, then renamed), so a run
    that fails half-way leaves a usable cache. The folder (or a function giving it, so that
    building a source has no side effect) is created on first use, when entries not used for
    ``max_age_days`` are deleted. The files hold what GitHub answered, never request headers.
    """

    def __init__(self, folder: Path | Callable[[], Path], max_age_days: float = 30.0) -> None:
        self._folder = folder
        self._resolved: Path | None = None
        self.max_age_days = max_age_days
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EtagCache({str(self.folder)!r})"

    @property
    def folder(self) -> Path:
        with self._lock:
            if self._resolved is None:
                folder = Path(self._folder() if callable(self._folder) else self._folder)
                folder.mkdir(parents=True, exist_ok=True)
                cutoff = time.time() - self.max_age_days * 86_400
                for file in folder.glob("*.json"):
                    if file.stat().st_mtime < cutoff:
                        file.unlink(missing_ok=True)
                self._resolved = folder
            return self._resolved

    def _file(self, url: str) -> Path:
        return self.folder / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.json"

    def get(self, url: str) -> CachedPage | None:
        file = self._file(url)
        try:
            entry = json.loads(file.read_text())
            page = CachedPage(entry["etag"], entry["body"], entry.get("link"))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.get("url") != url:  # a hash collision: never serve another URL's page
            return None
        os.utime(file)  # used: keep it
        return page

    def put(self, url: str, page: CachedPage) -> None:
        entry = {"url": url, "etag": page.etag, "body": page.body, "link": page.link}
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            json.dump(entry, file)
        os.replace(temporary, self._file(url))


def is_conditional(url: str) -> bool:
    """Whether ``url`` is a list endpoint asked with ``If-None-Match``."""
    path = urlsplit(url).path.rstrip("/")
    return any(pattern.match(path) for pattern in CONDITIONAL_PATHS)
