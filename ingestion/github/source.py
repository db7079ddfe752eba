"""The dlt source of GitHub repository data: pull requests, reviews, issues, releases, deployments
and workflow runs into ``raw_github``."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource

from ingestion.errors import SettingError
from ingestion.github import rows
from ingestion.github.client import DEFAULT_BASE_URL, GitHubApi, items_of
from ingestion.github.etag_cache import EtagCache
from ingestion.github.incremental import parse_time, updated_items
from ingestion.github.rows import with_context
from ingestion.github.session import HttpSettings
from ingestion.warehouse import data_dir

log = logging.getLogger(__name__)

DEFAULT_START_DATE = "2024-01-01"
RERUN_LOOKBACK = timedelta(days=3)
"""Workflow runs come newest-created first, and a re-run updates an old run: paging goes on this
far past the cursor, so runs re-run within three days of their creation are picked up."""
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
Item = dict[str, Any]


def repository_names(repositories: Sequence[str] | str) -> list[str]:
    """``owner/repo`` names from a list or a comma-separated string, checked."""
    if isinstance(repositories, str):
        repositories = [part for part in repositories.split(",") if part.strip()]
    names = [name.strip() for name in repositories]
    for name in names:
        if not REPOSITORY_NAME.match(name):
            raise SettingError(
                f"sources.github.repositories: {name!r} is not a GitHub full name 'owner/repo'; "
                "set SOURCES__GITHUB__REPOSITORIES like '[\"dbt-labs/dbt-core\"]'"
            )
    return list(dict.fromkeys(names))


def default_cache_folder() -> Path:
    """Where ETags and bodies of conditional requests are kept across runs."""
    return data_dir() / "github" / "etag_cache"


@dlt.source(name="github", section="github")
def github_source(
    repositories: Sequence[str] = (),
    base_url: str = DEFAULT_BASE_URL,
    access_token: TSecretStrValue | None = None,
    start_date: str = DEFAULT_START_DATE,
    max_rate_limit_wait_seconds: float = 900.0,
    request_max_attempts: int = 5,
    request_backoff_factor: float = 1.0,
    secondary_limit_wait_seconds: float = 60.0,
    etag_cache_folder: str | None = None,
) -> Sequence[DltResource]:
    """Pull requests (with their reviews and commits), issues (with labels), releases,
    deployments (with their statuses) and workflow runs of GitHub ``repositories``.

    Pull requests, issues and workflow runs are read incrementally on ``updated_at``, per
    repository, from ``start_date`` on the first run; reviews and commits are read for the pull
    requests updated since the last run. Releases, deployments and deployment statuses are read
    whole with conditional requests (unchanged pages cost no rate limit). Every table is merged
    on its key, so a run repeated changes nothing. ``access_token`` (or ``GITHUB_TOKEN``) is sent
    as a bearer token; the HTTP behaviour is described in :mod:`ingestion.github.session`.
    """
    names = repository_names(repositories)
    if not names:
        # Info, not a warning: git-only warehouses run this source with nothing to read, and
        # Dagster builds it once to list its assets.
        log.info("sources.github.repositories is empty: nothing to load from GitHub")
    token = (access_token or os.environ.get("GITHUB_TOKEN") or "").strip() or None
    settings = HttpSettings(
        max_attempts=request_max_attempts,
        backoff_factor=request_backoff_factor,
        max_rate_limit_wait_seconds=max_rate_limit_wait_seconds,
        secondary_limit_wait_seconds=secondary_limit_wait_seconds,
    )
    cache = EtagCache(Path(etag_cache_folder) if etag_cache_folder else default_cache_folder)
    api = GitHubApi(base_url, token, settings, cache)
    start = parse_time(start_date)

    def cursors() -> dict[str, Any]:
        state: dict[str, Any] = dlt.current.resource_state().setdefault("cursors", {})
        return state

    @dlt.resource(
        name="pull_requests",
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.PULL_REQUESTS),
    )
    def pull_requests() -> Iterator[list[Item]]:
        """Pull requests updated since the last run: sorted by ``updated_at`` newest first, paging
        stops at the first one older than the cursor."""
        yield from updated_items(
            api,
            cursors(),
            names,
            start,
            "/repos/{repository}/pulls",
            {"state": "all", "sort": "updated", "direction": "desc"},
            newest_first="updated_at",
        )

    @dlt.transformer(
        name="pull_request_reviews",
        data_from=pull_requests,
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.PULL_REQUEST_REVIEWS),
    )
    def pull_request_reviews(pulls: list[Item]) -> Iterator[list[Item]]:
        """Reviews of the pull requests read in this run."""
        for pull in items_of(pulls):
            repository, number = pull["repository"], pull["number"]
            for page in api.pages(f"/repos/{repository}/pulls/{number}/reviews"):
                yield with_context(page, repository=repository, pull_request_number=number)

    @dlt.transformer(
        name="pull_request_commits",
        data_from=pull_requests,
        write_disposition="merge",
        primary_key=["repository", "pull_request_number", "sha"],
        columns=rows.column_hints(rows.PULL_REQUEST_COMMITS),
    )
    def pull_request_commits(pulls: list[Item]) -> Iterator[list[Item]]:
        """Commits (up to GitHub's 250) of the pull requests read in this run."""
        for pull in items_of(pulls):
            repository, number = pull["repository"], pull["number"]
            for page in api.pages(f"/repos/{repository}/pulls/{number}/commits"):
                yield with_context(page, repository=repository, pull_request_number=number)

    @dlt.resource(
        name="issues",
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.ISSUES),
    )
    def issues() -> Iterator[list[Item]]:
        """Issues and pull requests (GitHub lists both) updated since the last run (``since``)."""
        yield from updated_items(
            api,
            cursors(),
            names,
            start,
            "/repos/{repository}/issues",
            {"state": "all", "sort": "updated", "direction": "asc"},
            since=True,
        )

    @dlt.resource(
        name="releases",
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.RELEASES),
    )
    def releases() -> Iterator[list[Item]]:
        """Every release (conditional requests: unchanged pages come from the ETag cache)."""
        for repository in names:
            for page in api.pages(f"/repos/{repository}/releases"):
                yield with_context(page, repository=repository)

    @dlt.resource(
        name="deployments",
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.DEPLOYMENTS),
    )
    def deployments() -> Iterator[list[Item]]:
        """Every deployment (conditional requests)."""
        for repository in names:
            for page in api.pages(f"/repos/{repository}/deployments"):
                yield with_context(page, repository=repository)

    @dlt.transformer(
        name="deployment_statuses",
        data_from=deployments,
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.DEPLOYMENT_STATUSES),
    )
    def deployment_statuses(found: list[Item]) -> Iterator[list[Item]]:
        """Statuses of every deployment (conditional requests)."""
        for deployment in items_of(found):
            repository, deployment_id = deployment["repository"], deployment["id"]
            for page in api.pages(f"/repos/{repository}/deployments/{deployment_id}/statuses"):
                yield with_context(page, repository=repository, deployment_id=deployment_id)

    @dlt.resource(
        name="workflow_runs",
        write_disposition="merge",
        primary_key="id",
        columns=rows.column_hints(rows.WORKFLOW_RUNS),
    )
    def workflow_runs() -> Iterator[list[Item]]:
        """Workflow runs updated since the last run. GitHub lists them newest-created first;
        paging stops at runs created :data:`RERUN_LOOKBACK` before the cursor."""
        yield from updated_items(
            api,
            cursors(),
            names,
            start,
            "/repos/{repository}/actions/runs",
            newest_first="created_at",
            lookback=RERUN_LOOKBACK,
            data_selector="workflow_runs",
        )

    pull_requests.add_map(rows.shaper(rows.PULL_REQUESTS))
    pull_request_reviews.add_map(rows.shaper(rows.PULL_REQUEST_REVIEWS))
    pull_request_commits.add_map(rows.shaper(rows.PULL_REQUEST_COMMITS))
    issues.add_map(rows.shape_issue)
    releases.add_map(rows.shaper(rows.RELEASES))
    deployments.add_map(rows.shaper(rows.DEPLOYMENTS))
    deployment_statuses.add_map(rows.shaper(rows.DEPLOYMENT_STATUSES))
    workflow_runs.add_map(rows.shaper(rows.WORKFLOW_RUNS))
    return (
        pull_requests,
        pull_request_reviews,
        pull_request_commits,
        issues,
        releases,
        deployments,
        deployment_statuses,
        workflow_runs,
    )
