"""The GitHub source's settings, resolved once, and the check made on them before a run.

:func:`github_settings` reads ``sources.github.*`` (environment, ``.dlt/config.toml``,
``secrets.toml`` for the token) into one :class:`GitHubSettings`.
"""

from __future__ import annotations

import os

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue

from ingestion.github.source import repository_names
from ingestion.settings import resolve_settings


@configspec
class GitHubSettings(BaseConfiguration):
    """Every setting of ``github_source`` (see its arguments), None where unset: the source's
    default applies, or the demo's local GitHub (an explicitly empty repository list switches
    GitHub off). ``access_token`` is a secret; unset, it is taken from ``GITHUB_TOKEN``."""

    repositories: list[str] | None = None
    base_url: str | None = None
    access_token: TSecretStrValue | None = None
    start_date: str | None = None
    max_rate_limit_wait_seconds: float | None = None
    request_max_attempts: int | None = None
    request_backoff_factor: float | None = None
    secondary_limit_wait_seconds: float | None = None
    etag_cache_folder: str | None = None

    def on_resolved(self) -> None:
        if not self.access_token and os.environ.get("GITHUB_TOKEN"):
            self.access_token = os.environ["GITHUB_TOKEN"]


EXAMPLES = {
    "repositories": "'[\"dbt-labs/dbt-core\"]'",
    "max_rate_limit_wait_seconds": "900",
    "request_max_attempts": "5",
    "request_backoff_factor": "1.0",
    "secondary_limit_wait_seconds": "60",
}
"""An example value of the settings that are not plain text, shown when one cannot be read."""


def github_settings() -> GitHubSettings:
    """The GitHub source's settings (``sources.github.*``), resolved once."""
    return resolve_settings(GitHubSettings(), "github", EXAMPLES)


def check_github_settings(settings: GitHubSettings | None = None) -> None:
    """Raise :class:`~ingestion.errors.SettingError` when a configured repository is not an
    ``owner/repo`` name (``settings`` resolved here when not given)."""
    if settings is None:
        settings = github_settings()
    if settings.repositories is not None:
        repository_names(settings.repositories)
