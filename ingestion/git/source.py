"""The dlt source of local git history: commits and per-file line changes into ``raw_git``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingestion.git.log_reader import HistoryBatch, read_history


def parse_repository(entry: str) -> tuple[str, Path]:
    """``name=path`` or a bare ``path`` (named after its folder) as ``(name, resolved path)``.

    A name holds no ``/``, so a bare path that contains ``=`` stays a path.
    """
    name, separator, path = entry.partition("=")
    if not separator or "/" in name:
        name, separator, path = "", "", entry
    resolved = Path(path).expanduser().resolve()
    return (name or resolved.name), resolved


@dlt.source(name="git", section="git")
def git_source(repositories: Sequence[str] = (".",)) -> Sequence[DltResource]:
    """Commits and per-file line changes of local git repositories.

    ``repositories`` lists paths, optionally named as ``name=path``; each is read in one streaming
    ``git log`` pass. Rows are merged on their keys, so re-reading a history changes nothing.
    """
    named = [parse_repository(entry) for entry in repositories]

    @dlt.resource(name="git_history", selected=False)
    def git_history() -> Iterator[HistoryBatch]:
        for name, path in named:
            yield from read_history(path, name)

    @dlt.transformer(
        name="commits",
        data_from=git_history,
        write_disposition="merge",
        primary_key=["repository", "commit_sha"],
    )
    def commits(batch: HistoryBatch) -> Iterator[pa.Table]:
        yield batch.commits

    @dlt.transformer(
        name="commit_files",
        data_from=git_history,
        write_disposition="merge",
        primary_key=["repository", "commit_sha", "file_path"],
    )
    def commit_files(batch: HistoryBatch) -> Iterator[pa.Table]:
        if batch.commit_files.num_rows:
            yield batch.commit_files

    return commits, commit_files
