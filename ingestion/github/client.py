"""Pages of GitHub list endpoints, through dlt's :class:`RESTClient` and its
:class:`HeaderLinkPaginator` (GitHub's ``Link: <…>; rel="next"``).

Authentication, rate limits, retries and conditional requests happen in the session the client
is given, :class:`~ingestion.github.session.GitHubSession`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator

from ingestion.github.etag_cache import EtagCache
from ingestion.github.session import GitHubSession, HttpSettings

DEFAULT_BASE_URL = "https://api.github.com"


API_VERSION = "2022-11-28"


GITHUB_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": API_VERSION,
    "User-Agent": "tributary-github-source",
}


class GitHubApi:
    """Pages of GitHub list endpoints through dlt's :class:`RESTClient` and a
    :class:`GitHubSession`."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        settings: HttpSettings | None = None,
        cache: EtagCache | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = GitHubSession(self.base_url, token, settings, cache)
        self.rest = RESTClient(
            base_url=self.base_url,
            headers=dict(GITHUB_HEADERS),
            paginator=HeaderLinkPaginator(),
            data_selector="$",
            session=self.session,
        )

    def __repr__(self) -> str:
        return f"GitHubApi({self.session!r})"

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, data_selector: str = "$"
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint (``per_page=100``), following ``Link: rel="next"``."""
        query = {"per_page": 100, **(params or {})}
        for page in self.rest.paginate(path, params=query, data_selector=data_selector):
            yield list(page)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """One JSON answer."""
        return self.rest.get(path, params=dict(params or {})).json()


def items_of(pages: Sequence[Any] | Any) -> list[dict[str, Any]]:
    """A transformer's input as a list: dlt hands over a page (a list) or a single item."""
    return list(pages) if isinstance(pages, list) else [pages]
