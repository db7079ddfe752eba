"""Everything that changed in one repository since the previous run, as Arrow tables per table.

The previous run's state (per repository, kept by dlt) holds the commits the refs pointed at, the
default branch head and a fingerprint of what shapes a commit row (the mailmap, the bot patterns).
A run reads only the commits reachable from the refs now and from none of the old tips that still
exist; commits that no ref reaches any more (a force-push, a deleted branch) are deleted with
their file rows. A changed fingerprint re-reads every commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ingestion.git.commands import run_git
from ingestion.git.log_reader import (
    COMMITS_SCHEMA,
    list_commits,
    read_chunk,
    read_history,
)
from ingestion.git.mainline import add_parents, deletion_rows, mainline_change
from ingestion.git.refs import existing_commits, read_refs
from ingestion.git.repositories import Repository, check_repository
from ingestion.git.snapshot_tables import branch_rows, repository_row, tag_rows

READER_VERSION = "1"
"""Bump when a commit row changes shape or meaning: every repository is then read again."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableRows:
    """Rows for one ``raw_git`` table."""

    table: str
    rows: pa.Table


@dataclass(frozen=True)
class ReadSettings:
    bot_pattern: str | None
    workers: int
    chunk_commits: int


def fingerprint(path: Path, settings: ReadSettings) -> str:
    """Hash of what shapes commit rows apart from the commits: mailmap and bot patterns."""
    digest = hashlib.sha256(f"{READER_VERSION}\0{settings.bot_pattern}\0".encode())
    worktree_mailmap = path / ".mailmap"
    if worktree_mailmap.is_file():
        digest.update(worktree_mailmap.read_bytes())
    else:
        digest.update(run_git(path, "cat-file", "blob", "HEAD:.mailmap", check=False))
    for key in ("mailmap.file", "mailmap.blob"):
        digest.update(run_git(path, "config", "--get", key, check=False))
    mailmap_file = run_git(path, "config", "--path", "--get", "mailmap.file", check=False)
    if mailmap_file.strip() and Path(mailmap_file.decode().strip()).is_file():
        digest.update(Path(mailmap_file.decode().strip()).read_bytes())
    return digest.hexdigest()[:20]


def _deleted(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("deleted")
    return table.set_column(
        index, table.schema.field(index), pa.repeat(pa.scalar(True), table.num_rows)
    )


def _removed_file_rows(path: Path, name: str, shas: Sequence[str], chunk: int) -> list[pa.Table]:
    return [
        _deleted(read_chunk(path, name, shas[start : start + chunk], None).commit_files)
        for start in range(0, len(shas), chunk)
    ]


def read_repository(
    repository: Repository, previous: dict | None, settings: ReadSettings
) -> Generator[TableRows, None, dict]:
    """Yield the rows to load for ``repository``; return its new state."""
    name, path = repository.name, repository.path
    check_repository(path)
    previous = previous or {}
    refs = read_refs(path)
    yield TableRows("repositories", repository_row(name, path, refs))
    yield TableRows("tags", tag_rows(name, refs))
    yield TableRows("branches", branch_rows(name, refs))

    old_tips = existing_commits(path, previous.get("tips", []))
    if len(old_tips) < len(previous.get("tips", [])):
        logger.warning(
            "%s: some commits read last time are gone from the repository; commits only they "
            "reached cannot be found to be deleted",
            path,
        )
    shape = fingerprint(path, settings)
    known = old_tips if previous.get("fingerprint") == shape else []
    # Reading every commit (no ``known``) reads the parents of all of them too: the default
    # branch walk then needs no ``git rev-list --parents`` of its own.
    graph: dict[str, list[str]] | None = {} if not known and refs.default_head else None
    for batch in read_history(
        path, name, refs.tips, known, bot_pattern=settings.bot_pattern,
        workers=settings.workers, chunk_commits=settings.chunk_commits,
    ):  # fmt: skip
        if graph is not None:
            add_parents(graph, batch.commits)
        yield TableRows("commits", batch.commits)
        if batch.commit_files.num_rows:
            yield TableRows("commit_files", batch.commit_files)

    orphans = list_commits(path, old_tips, refs.tips)
    if orphans:
        yield TableRows("commits", deletion_rows(name, orphans, COMMITS_SCHEMA))
        for files in _removed_file_rows(path, name, orphans, settings.chunk_commits):
            yield TableRows("commit_files", files)

    old_head = previous.get("default_head")
    if old_head and not existing_commits(path, [old_head]):
        logger.warning("%s: the previous default branch head %s is gone", path, old_head)
        old_head = None
    change = mainline_change(path, name, old_head, refs.default_head, graph)
    if change.rows.num_rows:
        yield TableRows("default_branch_commits", change.rows)
    if change.removed:
        yield TableRows(
            "default_branch_commits",
            deletion_rows(name, change.removed, change.rows.schema),
        )
    return {"tips": refs.tips, "default_head": refs.default_head, "fingerprint": shape}
