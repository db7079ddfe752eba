"""Pages and conditional requests as GitHub does them: ``per_page``/``page`` with a ``Link``
header, and weak ETags for ``If-None-Match``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from urllib.parse import urlencode

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def etag_of(body: bytes) -> str:
    """A weak ETag over the answer's bytes, in GitHub's ``W/"…"`` form."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    bare = etag.removeprefix("W/")
    candidates = {candidate.strip() for candidate in header.split(",")}
    return "*" in candidates or any(c.removeprefix("W/") == bare for c in candidates)


def per_page_and_page(params: Mapping[str, str]) -> tuple[int, int]:
    """``per_page`` (default 30, at most 100) and ``page`` (default 1) of a request."""

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
