"""Repository data: local git repositories into ``raw_git``.

Per repository: ``repositories`` (default branch, HEAD, origin and its GitHub name), ``commits``
(mailmap-applied and raw identities, subject, body, bot flag), ``commit_files`` (lines added and
deleted per file; merge commits against their first parent), ``tags`` and ``branches``
(snapshots), and ``default_branch_commits`` (the first-parent commit of the default branch that
brought each commit in, and its depth). The history is read by parallel ``git log --numstat``
processes into Arrow; runs are incremental and follow force-pushes.

:mod:`ingestion.git.shipped_commits` walks the loaded commit graph once per run to say which
commits each deployment shipped (``commit_graph.deployment_commits``).

Repositories are listed as paths or ``name=path`` (``SOURCES__GIT__REPOSITORIES``, a JSON list)
and found under ``SOURCES__GIT__REPOSITORY_ROOTS``; the default is the current folder. Run it on
its own with ``python -m ingestion.git``.
"""

from ingestion.git.commands import GitError
from ingestion.git.source import git_source

__all__ = ["GitError", "git_source"]
