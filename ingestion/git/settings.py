"""The git source's settings, resolved once, and the check made on them before a run.

:func:`git_settings` reads ``sources.git.*`` (environment, ``.dlt/config.toml``) into one
:class:`GitSettings`; :func:`check_git_settings` says which configured path is no git clone
before anything is loaded.
"""

from __future__ import annotations

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import BaseConfiguration

from ingestion.git.repositories import check_repository, configured_repositories
from ingestion.settings import resolve_settings


@configspec
class GitSettings(BaseConfiguration):
    """Every setting of ``git_source`` (see its arguments), None where unset: the source's
    default applies, or with neither repositories nor roots set, the demo's repositories (an
    explicitly empty list is set: it switches that setting off)."""

    repositories: list[str] | None = None
    repository_roots: list[str] | None = None
    bot_patterns: list[str] | None = None
    workers: int | None = None
    chunk_commits: int | None = None

    @property
    def nothing_configured(self) -> bool:
        """True when neither repositories nor repository roots are set."""
        return self.repositories is None and self.repository_roots is None


EXAMPLES = {
    "repositories": '\'["~/src/app", "docs=~/src/docs"]\'',
    "repository_roots": "'[\"~/src\"]'",
    "bot_patterns": '\'["\\\\[bot\\\\]", "dependabot"]\'',
    "workers": "4",
    "chunk_commits": "2000",
}
"""An example value of each setting, shown when a value cannot be read."""


def git_settings() -> GitSettings:
    """The git source's settings (``sources.git.*``), resolved once."""
    return resolve_settings(GitSettings(), "git", EXAMPLES)


def check_git_settings(settings: GitSettings | None = None) -> None:
    """Raise :class:`~ingestion.git.GitError` naming the setting when a configured repository,
    or a folder under a configured root, cannot be read (``settings`` resolved here when not
    given)."""
    if settings is None:
        settings = git_settings()
    if settings.nothing_configured:
        return
    repositories = configured_repositories(
        settings.repositories or [], settings.repository_roots or []
    )
    for repository in repositories:
        check_repository(repository.path)
