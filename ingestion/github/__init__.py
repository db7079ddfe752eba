"""Repository data from GitHub's REST API into ``raw_github``.

One dlt source, ``github``, reads the configured repositories (``owner/repo``) into one table per
resource, each row carrying its ``repository`` and only the columns the models use (nested
objects flattened by dlt: ``user__login``):

- ``pull_requests``: every pull request, open or closed, with its author, branches, head and
  merge commit and its created/closed/merged times; read incrementally on ``updated_at``;
- ``pull_request_reviews`` and ``pull_request_commits``: reviews (state, reviewer, time) and
  commits (author login, name, email, dates) of the pull requests updated since the last run;
- ``issues``: issues and, as GitHub lists them, pull requests (``is_pull_request``), with their
  label names (``label_names``, one per line); read incrementally with ``since``;
- ``releases``, ``deployments`` and ``deployment_statuses``: read whole on every run through
  conditional requests, so unchanged pages come from a local ETag cache at no rate-limit cost;
- ``workflow_runs``: GitHub Actions runs, incremental on ``updated_at``.

Tables are merged on their keys, so repeating a run changes nothing. Rate limits are respected
(waiting for ``x-ratelimit-reset`` or ``retry-after``), failures retried with backoff, and the
token never leaves the ``Authorization`` header: see :mod:`ingestion.github.session`.

Configuration (dlt config/secrets or environment): ``sources.github.repositories``,
``sources.github.base_url`` (default ``https://api.github.com``), ``sources.github.access_token``
(or ``GITHUB_TOKEN``), ``sources.github.start_date`` (first ``updated_at`` cursor, default
2024-01-01) and ``sources.github.max_rate_limit_wait_seconds``. Run it on its own with
``python -m ingestion.github``; the demo's ``python -m demo.github`` serves a local GitHub for
demos and tests.
"""

from ingestion.github.session import GitHubError
from ingestion.github.source import github_source

__all__ = ["GitHubError", "github_source"]
