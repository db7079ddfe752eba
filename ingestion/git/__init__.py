"""Repository data: the history of local git repositories into ``raw_git``.

Each repository is read in one streaming ``git log --numstat`` pass (merge commits diffed against
their first parent) into ``raw_git.commits`` and ``raw_git.commit_files``, merged on their keys.
Repositories are listed as paths or ``name=path`` (``SOURCES__GIT__REPOSITORIES``); the default is
the current folder. Run it on its own with ``python -m ingestion.git``.
"""

from ingestion.git.log_reader import GitError
from ingestion.git.source import git_source

__all__ = ["GitError", "git_source"]
