"""Read commits and their per-file line changes from ``git log`` into Arrow tables.

``git log -z --numstat`` gives, per commit, a header in our own format and the lines added and
deleted per file (merge commits diffed against their first parent). The header fields are
separated by ASCII unit separators with the raw message last, so a message may contain any
character but NUL (which git does not allow in one); commits are separated by ``NUL + record
separator``, which no header or file name can contain. Parsing is done with Arrow compute
kernels over whole chunks of output, not row by row in Python.

The history is split into chunks of commits listed by ``git rev-list``; several
``git log --no-walk --stdin`` processes read chunks in parallel, and at most a few chunks are
held in memory at a time. With one worker, one ``git log`` process streams the whole history.
"""

from __future__ import annotations

import subprocess
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.git.commands import GitError, git_command, git_lines, revision_input

HEADER_FIELDS = [
    "%H", "%P", "%aN", "%aE", "%an", "%ae", "%at", "%ad", "%cN", "%cE", "%ct", "%cd", "%B",
]  # fmt: skip
"""Mailmap-applied and raw identities, epoch seconds and ``+hhmm`` offsets (``--date``), and the
raw message last (it may contain anything, separators included)."""
HEADER_FORMAT = "%x1e" + "%x1f".join(HEADER_FIELDS)
RECORD_SEPARATOR = "\0\x1e"
LOG_OPTIONS = [
    "-z", "--numstat", "--no-renames", "--diff-merges=first-parent", "--root", "--no-color",
    "--no-textconv", "--no-ext-diff", "--encoding=UTF-8", "--date=format:%z",
    f"--format={HEADER_FORMAT}",
]  # fmt: skip
MESSAGE_PARTS = r"(?s)^\s*(?P<subject>.*?)(?:\n[ \t\r]*\n|\n*$)(?P<body>.*)$"
"""Subject = the first paragraph (its lines joined with spaces, as ``%s`` does); body = the rest."""

DEFAULT_BOT_PATTERNS = (r"\[bot\]", "dependabot", "renovate", "github-actions")
"""Regular expressions (RE2, case-insensitive) matched on author names and emails."""

TIMESTAMP = pa.timestamp("us", tz="UTC")
DELETED = pa.field("deleted", pa.bool_())
"""dlt's ``hard_delete`` column: true on a row that removes the row with its key."""

COMMITS_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("commit_sha", pa.string(), nullable=False),
        pa.field("parent_shas", pa.string()),
        pa.field("parent_count", pa.int32()),
        pa.field("author_name", pa.string()),
        pa.field("author_email", pa.string()),
        pa.field("raw_author_name", pa.string()),
        pa.field("raw_author_email", pa.string()),
        pa.field("authored_at", TIMESTAMP),
        pa.field("author_utc_offset_minutes", pa.int32()),
        pa.field("committer_name", pa.string()),
        pa.field("committer_email", pa.string()),
        pa.field("committed_at", TIMESTAMP),
        pa.field("committer_utc_offset_minutes", pa.int32()),
        pa.field("subject", pa.string()),
        pa.field("body", pa.string()),
        pa.field("is_bot", pa.bool_()),
        DELETED,
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
        DELETED,
    ]
)


@dataclass
class HistoryBatch:
    """Commits and their per-file line changes for a slice of one repository's history."""

    commits: pa.Table
    commit_files: pa.Table


def bot_regex(patterns: Sequence[str]) -> str | None:
    """One alternation of the bot patterns (null when there are none)."""
    return "|".join(f"(?:{pattern})" for pattern in patterns) or None


def _offset_minutes(offsets: pa.Array) -> pa.Array:
    """``+hhmm`` / ``-hhmm`` as signed minutes."""
    hours = pc.cast(pc.utf8_slice_codeunits(offsets, 1, 3), pa.int32())
    minutes = pc.add(
        pc.multiply(hours, 60), pc.cast(pc.utf8_slice_codeunits(offsets, 3, 5), pa.int32())
    )
    negative = pc.equal(pc.utf8_slice_codeunits(offsets, 0, 1), "-")
    return pc.if_else(negative, pc.negate(minutes), minutes)


def _instants(epoch_seconds: pa.Array) -> pa.Array:
    return pc.cast(pc.multiply(pc.cast(epoch_seconds, pa.int64()), 1_000_000), TIMESTAMP)


def _matches(values: list[pa.Array], pattern: str | None) -> pa.Array:
    length = len(values[0])
    if pattern is None:
        return pa.repeat(pa.scalar(False), length)
    hits = [pc.match_substring_regex(value, pattern, ignore_case=True) for value in values]
    result = hits[0]
    for hit in hits[1:]:
        result = pc.or_(result, hit)
    return result


def empty_batch() -> HistoryBatch:
    return HistoryBatch(COMMITS_SCHEMA.empty_table(), COMMIT_FILES_SCHEMA.empty_table())


def parse_log(output: bytes, name: str, bot_pattern: str | None) -> HistoryBatch:
    """Arrow tables of complete ``git log`` records (:data:`LOG_OPTIONS` output)."""
    text = output.decode("utf-8", errors="replace").removeprefix("\x1e").removesuffix("\0")
    if not text:
        return empty_batch()
    records = pc.split_pattern(pa.array([text], pa.string()), RECORD_SEPARATOR).flatten()
    parts = pc.split_pattern(records, "\0")
    header = pc.split_pattern(pc.list_element(parts, 0), "\x1f", max_splits=len(HEADER_FIELDS) - 1)
    if pc.min(pc.list_value_length(header)).as_py() != len(HEADER_FIELDS):
        raise GitError(f"{name}: unexpected git log output (a commit header is incomplete)")
    (sha, parents, author, author_email, raw_author, raw_email, authored, author_offset,
     committer, committer_email, committed, committer_offset, message) = (
        pc.list_element(header, index) for index in range(len(HEADER_FIELDS))
    )  # fmt: skip
    message_parts = pc.extract_regex(message, MESSAGE_PARTS)
    subject = pc.utf8_rtrim_whitespace(
        pc.replace_substring(message_parts.field("subject"), "\n", " ")
    )
    body = pc.utf8_rtrim_whitespace(pc.utf8_ltrim(message_parts.field("body"), "\r\n"))
    parent_count = pc.if_else(pc.equal(parents, ""), 0, pc.add(pc.count_substring(parents, " "), 1))
    count = len(sha)
    commits = pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(name), count), sha, parents, pc.cast(parent_count, pa.int32()),
            author, author_email, raw_author, raw_email, _instants(authored),
            _offset_minutes(author_offset), committer, committer_email, _instants(committed),
            _offset_minutes(committer_offset), subject, body,
            _matches([author, author_email, raw_author, raw_email], bot_pattern),
            pa.nulls(count, pa.bool_()),
        ],
        schema=COMMITS_SCHEMA,
    )  # fmt: skip

    entry_lists = pc.list_slice(parts, 1)
    entries = pc.utf8_ltrim(entry_lists.flatten(), "\n")
    owners = pc.list_parent_indices(entry_lists)
    present = pc.not_equal(entries, "")
    entries, owners = pc.filter(entries, present), pc.filter(owners, present)
    stats = pc.split_pattern(entries, "\t", max_splits=2)
    if len(entries) and pc.min(pc.list_value_length(stats)).as_py() != 3:
        raise GitError(f"{name}: unexpected git log output (a --numstat line is incomplete)")
    added, deleted, path = (pc.list_element(stats, index) for index in range(3))
    binary = pc.equal(added, "-")
    no_count = pa.scalar(None, pa.string())
    files = pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(name), len(entries)), pc.take(sha, owners), path,
            pc.cast(pc.if_else(binary, no_count, added), pa.int64()),
            pc.cast(pc.if_else(binary, no_count, deleted), pa.int64()),
            binary, pa.nulls(len(entries), pa.bool_()),
        ],
        schema=COMMIT_FILES_SCHEMA,
    )  # fmt: skip
    return HistoryBatch(commits, files)


def list_commits(repository: Path, include: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """Commits reachable from ``include`` but from no ``exclude`` commit (``git rev-list``)."""
    if not include:
        return []
    return git_lines(
        repository, "rev-list", "--stdin", stdin=revision_input(list(include), list(exclude))
    )


def read_chunk(
    repository: Path, name: str, shas: Sequence[str], bot_pattern: str | None
) -> HistoryBatch:
    """The given commits, read by one ``git log --no-walk --stdin`` process."""
    result = subprocess.run(
        git_command(repository, "log", "--no-walk=unsorted", "--stdin", *LOG_OPTIONS),
        input="".join(f"{sha}\n" for sha in shas).encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise GitError(f"{repository}: git log failed: {message}")
    return parse_log(result.stdout, name, bot_pattern)


def stream_history(
    repository: Path,
    name: str,
    include: Sequence[str],
    exclude: Sequence[str],
    bot_pattern: str | None,
    batch_bytes: int = 32 << 20,
) -> Iterator[HistoryBatch]:
    """One ``git log`` process walking the history, parsed every ``batch_bytes`` of output."""
    if not include:
        return
    process = subprocess.Popen(
        git_command(repository, "log", "--stdin", *LOG_OPTIONS),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(revision_input(list(include), list(exclude)))
    process.stdin.close()
    pending = b""
    while chunk := process.stdout.read(1 << 22):
        pending += chunk
        if len(pending) >= batch_bytes:
            cut = pending.rfind(RECORD_SEPARATOR.encode())
            if cut > 0:
                complete, pending = pending[: cut + 1], pending[cut + 1 :]
                yield parse_log(complete, name, bot_pattern)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.wait() != 0:
        raise GitError(f"{repository}: git log failed: {stderr.strip()}")
    if pending:
        yield parse_log(pending, name, bot_pattern)


def read_history(
    repository: Path,
    name: str,
    include: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    bot_pattern: str | None = bot_regex(DEFAULT_BOT_PATTERNS),
    workers: int = 2,
    chunk_commits: int = 2_000,
) -> Iterator[HistoryBatch]:
    """Commits reachable from ``include`` and not from ``exclude``, in batches.

    With ``workers > 1`` the commits are listed by ``git rev-list`` and read in chunks of
    ``chunk_commits`` by that many ``git log`` processes at once, the first while the rest are
    still being listed; at most ``workers + 1`` chunks are parsed and held in memory.
    """
    if workers <= 1:
        yield from stream_history(repository, name, include, exclude, bot_pattern)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="git-log") as pool:
        pending: deque[Future[HistoryBatch]] = deque()
        for chunk in _commit_chunks(repository, include, exclude, workers, chunk_commits):
            pending.append(pool.submit(read_chunk, repository, name, chunk, bot_pattern))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _commit_chunks(
    repository: Path, include: Sequence[str], exclude: Sequence[str], workers: int, size: int
) -> Iterator[list[str]]:
    """The commits of :func:`list_commits` in chunks of ``size``, each given out as soon as
    ``git rev-list`` has listed it (the first ``git log`` need not wait for the whole list); the
    last commits (fewer than ``size * (workers + 1)``) are split evenly over the workers, so that
    a short history is still read by all of them."""
    if not include:
        return
    process = subprocess.Popen(
        git_command(repository, "rev-list", "--stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(revision_input(list(include), list(exclude)))
    process.stdin.close()
    held: deque[str] = deque()
    try:
        for line in process.stdout:
            if sha := line.strip().decode():
                held.append(sha)
            if len(held) >= size * (workers + 1):
                yield [held.popleft() for _ in range(size)]
    finally:
        process.stdout.close()
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        returncode = process.wait()
    if returncode != 0:
        raise GitError(f"{repository}: git rev-list failed: {stderr.strip()}")
    rest = list(held)
    part = max(1, min(size, -(-len(rest) // workers)))
    for start in range(0, len(rest), part):
        yield rest[start : start + part]
