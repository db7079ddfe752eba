"""The dlt source of local git repositories: history, refs and default branch into ``raw_git``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingestion.column_hints import table_columns
from ingestion.git.log_reader import (
    COMMIT_FILES_SCHEMA,
    COMMITS_SCHEMA,
    DEFAULT_BOT_PATTERNS,
    bot_regex,
)
from ingestion.git.mainline import DEFAULT_BRANCH_COMMITS_SCHEMA
from ingestion.git.repositories import configured_repositories, parse_repository
from ingestion.git.repository_reader import ReadSettings, TableRows, read_repository
from ingestion.git.snapshot_tables import BRANCHES_SCHEMA, REPOSITORIES_SCHEMA, TAGS_SCHEMA

__all__ = ["git_source", "parse_repository"]

HARD_DELETE = {"deleted": {"data_type": "bool", "hard_delete": True}}
"""Rows flagged ``deleted`` remove the destination row with their key and are not kept."""
COMMIT_KEY = ["repository", "commit_sha"]
TABLE_SCHEMAS = {
    "repositories": REPOSITORIES_SCHEMA,
    "commits": COMMITS_SCHEMA,
    "commit_files": COMMIT_FILES_SCHEMA,
    "tags": TAGS_SCHEMA,
    "branches": BRANCHES_SCHEMA,
    "default_branch_commits": DEFAULT_BRANCH_COMMITS_SCHEMA,
}
"""Every ``raw_git`` table and its columns: each run starts with an empty batch of each, so the
tables exist (and dbt builds) even when no repository is configured."""


def _table_resource(
    history: DltResource, table: str, deletes: bool = False, **hints: object
) -> DltResource:
    """A transformer passing on the rows of ``history`` meant for ``table``, declaring the
    table's columns (``deletes``: its ``deleted`` flag is a hard delete)."""

    def pick(item: TableRows) -> Iterator[pa.Table]:
        if item.table == table:
            yield item.rows

    columns = table_columns(TABLE_SCHEMAS[table], HARD_DELETE if deletes else None)
    return dlt.transformer(pick, name=table, data_from=history, columns=columns, **hints)  # type: ignore[call-overload]


@dlt.source(name="git", section="git")
def git_source(
    repositories: Sequence[str] | None = None,
    repository_roots: Sequence[str] = (),
    bot_patterns: Sequence[str] = DEFAULT_BOT_PATTERNS,
    workers: int | None = None,
    chunk_commits: int = 2_000,
) -> Sequence[DltResource]:
    """Commits, per-file line changes, tags, branches and default-branch ancestry of local git
    repositories.

    ``repositories`` lists paths, optionally named as ``name=path`` (default: the current folder
    when no ``repository_roots`` are given); every immediate sub-folder of a root that is a git
    repository is read too, named after its folder. ``bot_patterns`` are regular expressions
    matched on author names and emails (``is_bot``). ``workers`` git processes read the history
    in chunks of ``chunk_commits`` (default: one more than there are CPUs, so that the cores stay
    busy while chunks are parsed). Runs are incremental: only commits not read before are read,
    and commits no ref reaches any more are deleted.
    """
    entries = (
        list(repositories) if repositories is not None else ([] if repository_roots else ["."])
    )
    settings = ReadSettings(
        bot_pattern=bot_regex(list(bot_patterns)),
        workers=workers or (os.cpu_count() or 1) + 1,
        chunk_commits=chunk_commits,
    )

    @dlt.resource(name="git_history", selected=False)
    def git_history() -> Iterator[TableRows]:
        for table, schema in TABLE_SCHEMAS.items():
            yield TableRows(table, schema.empty_table())
        state = dlt.current.source_state().setdefault("repositories", {})
        for repository in configured_repositories(entries, list(repository_roots)):
            state[repository.name] = yield from read_repository(
                repository, state.get(repository.name), settings
            )

    upsert = {"write_disposition": {"disposition": "merge", "strategy": "upsert"}}
    snapshot = {
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "merge_key": "repository",
        "deletes": True,
    }
    return (
        _table_resource(git_history, "repositories", primary_key="repository", **upsert),
        _table_resource(git_history, "commits", primary_key=COMMIT_KEY, deletes=True, **upsert),
        _table_resource(
            git_history,
            "commit_files",
            primary_key=[*COMMIT_KEY, "file_path"],
            deletes=True,
            **upsert,
        ),
        _table_resource(git_history, "tags", **snapshot),
        _table_resource(git_history, "branches", **snapshot),
        _table_resource(
            git_history,
            "default_branch_commits",
            primary_key=COMMIT_KEY,
            deletes=True,
            **upsert,
        ),
    )
