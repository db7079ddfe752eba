"""Reading GitHub list endpoints incrementally on ``updated_at``, one cursor per repository.

Pull requests, issues and workflow runs are read from where the last run stopped. Each
repository keeps its own cursor in the resource's state (:class:`Cursor`): the newest
``updated_at`` loaded and the ids loaded at that very second. One paging loop
(:func:`updated_items`) serves the three: they differ only in how the endpoint is asked (GitHub's
``since``, or a list sorted newest first that paging leaves once it reaches past the cursor).

dlt's ``dlt.sources.incremental`` keeps one cursor per resource; a cursor per repository lets a
repository added later start from ``start_date`` instead of the others' position.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ingestion.github.client import GitHubApi
from ingestion.github.rows import Row, with_context


def parse_time(text: str) -> datetime:
    """A GitHub timestamp (``2025-03-03T12:00:00Z``) or a date, as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def github_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Cursor:
    """The incremental position of one repository in one resource: the latest ``updated_at``
    loaded and the ids loaded at exactly that second (GitHub's timestamps have whole seconds, so
    the next run asks from that second again and skips only these)."""

    value: datetime
    ids: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, state: Mapping[str, Any] | None, start: datetime) -> Cursor:
        if not state:
            return cls(start)
        return cls(parse_time(state["updated_at"]), set(state.get("ids", [])))

    def dump(self) -> dict[str, Any]:
        return {"updated_at": github_time(self.value), "ids": sorted(self.ids)}

    def is_new(self, item: Mapping[str, Any]) -> bool:
        updated = parse_time(item["updated_at"])
        return updated > self.value or (updated == self.value and item["id"] not in self.ids)

    def advance(self, item: Mapping[str, Any]) -> None:
        updated = parse_time(item["updated_at"])
        if updated > self.value:
            self.value, self.ids = updated, {item["id"]}
        elif updated == self.value:
            self.ids.add(item["id"])


def updated_items(
    api: GitHubApi,
    state: dict[str, Any],
    repositories: Sequence[str],
    start: datetime,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    since: bool = False,
    newest_first: str | None = None,
    lookback: timedelta = timedelta(0),
    data_selector: str = "$",
) -> Iterator[list[Row]]:
    """Pages of the items of ``path`` (``/repos/{repository}/pulls``) updated after each
    repository's cursor in ``state``, each item with its ``repository``; the cursors move on
    once a repository's pages are read.

    With ``since``, the cursor goes to GitHub as the ``since`` parameter. With
    ``newest_first``, the list is sorted newest first by that field, and paging stops after the
    first page holding an item older than the cursor less ``lookback``.
    """
    for repository in repositories:
        cursor = Cursor.load(state.get(repository), start)
        seen = Cursor(cursor.value, set(cursor.ids))
        query = {**(params or {}), **({"since": github_time(cursor.value)} if since else {})}
        horizon = cursor.value - lookback
        for page in api.pages(path.format(repository=repository), query, data_selector):
            new = [item for item in page if cursor.is_new(item)]
            for item in new:
                seen.advance(item)
            if new:
                yield with_context(new, repository=repository)
            if newest_first and any(parse_time(item[newest_first]) < horizon for item in page):
                break
        state[repository] = seen.dump()
