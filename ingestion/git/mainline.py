"""Which first-parent commit of the default branch brought in each commit, and how deep it is.

For every commit reachable from the default branch head: ``mainline_sha`` is the commit of the
first-parent chain that brought it in (itself when it is on the chain, else the merge commit whose
side history first contains it) and ``mainline_depth`` is that commit's first-parent depth from
the root (root = 1). Computed in one O(n) walk over ``git rev-list --parents``.

A later run walks only the commits the new head has and the previous head had not, when the
previous head is still on the new first-parent chain; otherwise (force-push, a branch that was
fast-forwarded onto the default branch) it recomputes the whole branch, and the commits that left
the branch are returned for deletion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ingestion.git.commands import git_lines, revision_input, run_git
from ingestion.git.log_reader import DELETED

DEFAULT_BRANCH_COMMITS_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("commit_sha", pa.string(), nullable=False),
        pa.field("mainline_sha", pa.string()),
        pa.field("mainline_depth", pa.int64()),
        DELETED,
    ]
)


@dataclass(frozen=True)
class MainlineChange:
    """Rows to upsert and commits whose rows to delete."""

    rows: pa.Table
    removed: list[str]


def parent_graph(repository: Path, head: str, exclude: list[str]) -> dict[str, list[str]]:
    """Parents of every commit reachable from ``head`` and from no ``exclude`` commit."""
    lines = git_lines(
        repository, "rev-list", "--parents", "--stdin", stdin=revision_input([head], exclude)
    )
    graph: dict[str, list[str]] = {}
    for line in lines:
        sha, *parents = line.split(" ")
        graph[sha] = parents
    return graph


def add_parents(graph: dict[str, list[str]], commits: pa.Table) -> None:
    """Add the parents of ``commits`` rows (``commit_sha``, ``parent_shas``) to ``graph``."""
    parents = commits.column("parent_shas").to_pylist()
    graph.update(
        zip(
            commits.column("commit_sha").to_pylist(),
            [value.split(" ") if value else [] for value in parents],
            strict=True,
        )
    )


def first_parent_depth(repository: Path, sha: str) -> int:
    """``git rev-list --first-parent --count <sha>``: 1 for a root commit."""
    return int(run_git(repository, "rev-list", "--first-parent", "--count", sha))


def assign_mainline(
    graph: dict[str, list[str]], head: str
) -> tuple[dict[str, str], list[str], str | None]:
    """Mainline commit of every commit in ``graph``; the chain (newest first) and the first
    parent where the chain leaves the graph (null at a root commit)."""
    chain: list[str] = []
    sha: str | None = head
    while sha is not None and sha in graph:
        chain.append(sha)
        parents = graph[sha]
        sha = parents[0] if parents else None
    mainline = {commit: commit for commit in chain}
    for merge in reversed(chain):  # oldest first: a commit belongs to the first merge having it
        stack = [parent for parent in graph[merge][1:] if parent in graph]
        while stack:
            commit = stack.pop()
            if commit in mainline:
                continue
            mainline[commit] = merge
            stack.extend(p for p in graph[commit] if p in graph and p not in mainline)
    return mainline, chain, sha


def _rows(name: str, mainline: dict[str, str], chain: list[str], base_depth: int) -> pa.Table:
    depth = {sha: base_depth + len(chain) - index for index, sha in enumerate(chain)}
    commits = list(mainline)
    mainlines = [mainline[sha] for sha in commits]
    return pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(name), len(commits)),
            pa.array(commits, pa.string()),
            pa.array(mainlines, pa.string()),
            pa.array([depth[sha] for sha in mainlines], pa.int64()),
            pa.nulls(len(commits), pa.bool_()),
        ],
        schema=DEFAULT_BRANCH_COMMITS_SCHEMA,
    )


def deletion_rows(name: str, shas: list[str], schema: pa.Schema) -> pa.Table:
    """Rows with only their key and ``deleted`` set: dlt removes the rows with those keys."""
    columns = {field.name: pa.nulls(len(shas), field.type) for field in schema}
    columns["repository"] = pa.repeat(pa.scalar(name), len(shas))
    columns["commit_sha"] = pa.array(shas, pa.string())
    columns["deleted"] = pa.repeat(pa.scalar(True), len(shas))
    return pa.Table.from_pydict(columns, schema=schema)


def mainline_change(
    repository: Path,
    name: str,
    old_head: str | None,
    new_head: str | None,
    known_graph: dict[str, list[str]] | None = None,
) -> MainlineChange:
    """What changes in ``default_branch_commits`` when the default head moves old → new.

    ``old_head`` must still exist in the repository (or be null: nothing was read before).
    ``known_graph``, when given, holds the parents of every commit reachable from ``new_head``
    (and maybe of others): the whole branch is then not listed again.
    """
    empty = DEFAULT_BRANCH_COMMITS_SCHEMA.empty_table()
    if new_head == old_head:
        return MainlineChange(empty, [])
    removed = (
        git_lines(
            repository,
            "rev-list",
            "--stdin",
            stdin=revision_input([old_head], [new_head] if new_head else []),
        )
        if old_head
        else []
    )
    if new_head is None:
        return MainlineChange(empty, removed)
    if old_head and not removed:
        graph = parent_graph(repository, new_head, [old_head])
        mainline, chain, boundary = assign_mainline(graph, new_head)
        if boundary == old_head:  # the previous head is on the new first-parent chain
            depth = first_parent_depth(repository, boundary)
            return MainlineChange(_rows(name, mainline, chain, depth), [])
    graph = parent_graph(repository, new_head, []) if known_graph is None else known_graph
    mainline, chain, _ = assign_mainline(graph, new_head)
    return MainlineChange(_rows(name, mainline, chain, 0), removed)
