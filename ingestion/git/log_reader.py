"""Stream the history of a git repository from one ``git log`` process into Arrow batches.

One pass gives both the commits and, through ``--numstat``, the lines added and deleted per file;
merge commits are diffed against their first parent. Records are separated by ASCII control
characters so that no subject or file name can break the parsing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

RECORD, FIELD = b"\x1e", b"\x1f"
HEADER_FORMAT = "%x1e" + "%x1f".join(["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%s"])
TIMESTAMP = pa.timestamp("us", tz="UTC")

COMMITS_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("commit_sha", pa.string(), nullable=False),
        pa.field("parent_shas", pa.string()),
        pa.field("parent_count", pa.int32()),
        pa.field("author_name", pa.string()),
        pa.field("author_email", pa.string()),
        pa.field("authored_at", TIMESTAMP),
        pa.field("author_utc_offset_minutes", pa.int32()),
        pa.field("committer_name", pa.string()),
        pa.field("committer_email", pa.string()),
        pa.field("committed_at", TIMESTAMP),
        pa.field("committer_utc_offset_minutes", pa.int32()),
        pa.field("subject", pa.string()),
    ]
)
COMMIT_FILES_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("commit_sha", pa.string(), nullable=False),
        pa.field("file_path", pa.string(), nullable=False),
        pa.field("lines_added", pa.int64()),
        pa.field("lines_deleted", pa.int64()),
        pa.field("is_binary", pa.bool_()),
    ]
)


class GitError(Exception):
    """A repository that cannot be read; the message names it and says what git said."""


@dataclass
class _Columns:
    """Column lists filled row by row while parsing, turned into one Arrow table per batch."""

    schema: pa.Schema
    values: dict[str, list[object]] = field(init=False)

    def __post_init__(self) -> None:
        self.values = {name: [] for name in self.schema.names}

    def __len__(self) -> int:
        return len(self.values[self.schema.names[0]])

    def append(self, *row: object) -> None:
        for column, value in zip(self.values.values(), row, strict=True):
            column.append(value)

    def take_table(self) -> pa.Table:
        table = pa.table(
            {
                name: pa.array(values, type=self.schema.field(name).type)
                for name, values in self.values.items()
            },
            schema=self.schema,
        )
        self.__post_init__()
        return table


@dataclass
class HistoryBatch:
    """Commits and their per-file line changes for a slice of one repository's history."""

    commits: pa.Table
    commit_files: pa.Table


def _instant(iso_time: str) -> tuple[int, int]:
    """Epoch microseconds and the UTC offset in minutes of a strict ISO 8601 git time."""
    moment = datetime.fromisoformat(iso_time)
    offset = moment.utcoffset()
    offset_minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return int(moment.timestamp()) * 1_000_000, offset_minutes


def _count(text: str) -> int | None:
    return None if text == "-" else int(text)


def history_refs(repository: Path) -> list[str]:
    """Branches and tags, plus HEAD when it points at a commit (it may be an unborn branch)."""
    head = subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "--verify", "--quiet", "HEAD"],
        capture_output=True,
        check=False,
    )
    return ["--branches", "--tags"] + (["HEAD"] if head.returncode == 0 else [])


def git_log_command(repository: Path, refs: list[str]) -> list[str]:
    return [
        "git", "-C", str(repository), "-c", "core.quotepath=off", "log", *refs,
        "-z", "--numstat", "--no-renames", "--diff-merges=first-parent", "--no-color",
        "--encoding=UTF-8", f"--format={HEADER_FORMAT}",
    ]  # fmt: skip


def has_commits(repository: Path, refs: list[str]) -> bool:
    result = subprocess.run(
        ["git", "-C", str(repository), "rev-list", "--max-count=1", *refs],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0 and bool(result.stdout.strip())


def read_history(
    repository: Path, name: str, batch_commits: int = 20_000
) -> Iterator[HistoryBatch]:
    """Every commit reachable from HEAD, branches and tags, in batches of ``batch_commits``."""
    if not (repository / ".git").exists() and not (repository / "HEAD").is_file():
        raise GitError(f"{repository}: not a git repository (no .git found)")
    refs = history_refs(repository)
    if not has_commits(repository, refs):
        return
    commits, files = _Columns(COMMITS_SCHEMA), _Columns(COMMIT_FILES_SCHEMA)
    process = subprocess.Popen(
        git_log_command(repository, refs), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    pending = b""
    while chunk := process.stdout.read(1 << 20):
        records = (pending + chunk).split(RECORD)
        pending = records.pop()
        for record in records:
            if record:
                _parse_record(record, name, commits, files)
        if len(commits) >= batch_commits:
            yield HistoryBatch(commits.take_table(), files.take_table())
    if pending:
        _parse_record(pending, name, commits, files)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.wait() != 0:
        raise GitError(f"{repository}: git log failed: {stderr.strip()}")
    if len(commits):
        yield HistoryBatch(commits.take_table(), files.take_table())


def _parse_record(record: bytes, name: str, commits: _Columns, files: _Columns) -> None:
    header, _, stats = record.partition(b"\0")
    fields = header.decode(errors="replace").split(FIELD.decode())
    sha, parents, author, author_email, authored, committer, committer_email, committed, subject = (
        fields
    )
    authored_us, author_offset = _instant(authored)
    committed_us, committer_offset = _instant(committed)
    parent_list = parents.split()
    commits.append(
        name, sha, parents, len(parent_list), author, author_email, authored_us, author_offset,
        committer, committer_email, committed_us, committer_offset, subject,
    )  # fmt: skip
    for entry in stats.lstrip(b"\n").split(b"\0"):
        if not entry:
            continue
        added, deleted, path = entry.decode(errors="replace").split("\t", 2)
        files.append(name, sha, path, _count(added), _count(deleted), added == "-")
