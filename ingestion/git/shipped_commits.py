"""Which commits each deployment shipped, by reachability in the commit graph.

A deployment ships exactly ``git rev-list <its commit> --not <the commit of every earlier
deployment of the repository>``, "earlier" in deploy order (deployment time, then id). Put the
other way round: a commit is shipped by the first deployment, in deploy order, whose commit
reaches it. :func:`shipped_commits` computes that for every deployment at once in one walk of
the graph: deployments are taken in deploy order, and each walks from its commit through the
parents, claiming every commit it reaches that no earlier deployment claimed. The claimed set is
closed under ancestors (it is the union of the earlier deployments' histories), so a walk stops
at the first claimed commit, and every commit and parent edge is visited once at most:
O(commits + deployments) per run.

This holds for any shape of history: merge, squash and rebase merges; release branches merged
back (a tag on the release branch ships the release branch's commits, not the default branch's
newer ones); cherry-picks (the picked copy is a commit of its own); a tag on a branch that is
never merged; a redeploy of an older commit (it ships nothing); rewritten history (a commit that
no branch, tag or deployment keeps is deleted from ``raw_git.commits`` by the git source). A
deployment whose commit is in no loaded clone ships nothing here; the marts say so.

The inputs are read from the warehouse after dbt has built ``int_engineering__deployments`` (which
deployments count, from which source, is dbt's business); the result is loaded by dlt into the
``commit_graph`` dataset, replacing the previous one, and dbt reads it as a source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingestion.column_hints import table_columns

DATASET = "commit_graph"
TABLE = "deployment_commits"
DEPLOYMENTS_RELATION = ("intermediate", "int_engineering__deployments")
"""dbt's deployments, built before the walk (schema, table)."""
COMMITS_RELATION = ("raw_git", "commits")
"""The commit graph: every commit any branch or tag reaches, with its parents."""

DEPLOYMENT_COMMITS_SCHEMA = pa.schema(
    [
        pa.field("repository", pa.string(), nullable=False),
        pa.field("deployment_id", pa.string(), nullable=False),
        pa.field("commit_sha", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Deployment:
    """A deployment of one commit of a repository."""

    repository: str
    deployment_id: str
    commit_sha: str
    deployed_at: datetime


def deploy_order(deployments: Iterable[Deployment]) -> list[Deployment]:
    """Deployments by repository, then deployment time, then id: the order that decides which
    deployment is "earlier"."""
    return sorted(deployments, key=lambda d: (d.repository, d.deployed_at, d.deployment_id))


def shipped_by(
    parents: Mapping[str, Sequence[str]], deployments: Sequence[Deployment]
) -> Iterator[tuple[Deployment, str]]:
    """``(deployment, commit)`` for every commit each of one repository's ``deployments`` (in
    deploy order) newly shipped, given the ``parents`` of every commit in the graph."""
    claimed: set[str] = set()
    for deployment in deployments:
        head = deployment.commit_sha
        if head not in parents or head in claimed:
            continue
        claimed.add(head)
        stack = [head]
        while stack:
            commit = stack.pop()
            yield deployment, commit
            for parent in parents[commit]:
                if parent not in claimed and parent in parents:
                    claimed.add(parent)
                    stack.append(parent)


def shipped_commits(
    commits: Iterable[tuple[str, str, str | None]], deployments: Iterable[Deployment]
) -> pa.Table:
    """The commits each deployment newly shipped, as ``(repository, deployment_id, commit_sha)``.

    ``commits`` are ``(repository, commit_sha, parent_shas)`` rows, the parents separated by
    spaces, as in ``raw_git.commits``.
    """
    graphs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for repository, sha, parent_shas in commits:
        graphs[repository][sha] = parent_shas.split() if parent_shas else []
    by_repository: dict[str, list[Deployment]] = defaultdict(list)
    for deployment in deploy_order(deployments):
        by_repository[deployment.repository].append(deployment)
    columns: dict[str, list[str]] = {name: [] for name in DEPLOYMENT_COMMITS_SCHEMA.names}
    for repository in sorted(by_repository):
        for deployment, sha in shipped_by(graphs.get(repository, {}), by_repository[repository]):
            columns["repository"].append(repository)
            columns["deployment_id"].append(deployment.deployment_id)
            columns["commit_sha"].append(sha)
    return pa.Table.from_pydict(columns, schema=DEPLOYMENT_COMMITS_SCHEMA)


def _qualified(relation: tuple[str, str]) -> str:
    return ".".join(f'"{part}"' for part in relation)


def _exists(client: Any, relation: tuple[str, str]) -> bool:
    rows = client.execute_sql(
        "select count(*) from information_schema.tables where table_schema = %s "
        "and table_name = %s",
        *relation,
    )
    return bool(rows and rows[0][0])


def read_walk_inputs(client: Any) -> tuple[list[tuple[str, str, str | None]], list[Deployment]]:
    """The commit graph and the deployments, from the warehouse ``client`` (a dlt SQL client).

    Without deployments (dbt has not built them yet) or commits (no clone loaded), nothing ships.
    """
    if not (_exists(client, DEPLOYMENTS_RELATION) and _exists(client, COMMITS_RELATION)):
        return [], []
    deployments = [
        Deployment(str(repository), str(deployment_id), str(sha), deployed_at)
        for repository, deployment_id, sha, deployed_at in client.execute_sql(
            "select repository, deployment_id, commit_sha, deployed_at "
            f"from {_qualified(DEPLOYMENTS_RELATION)} where commit_sha is not null"
        )
    ]
    repositories = sorted({deployment.repository for deployment in deployments})
    if not repositories:
        return [], []
    placeholders = ", ".join(["%s"] * len(repositories))
    commits = client.execute_sql(
        f"select repository, commit_sha, parent_shas from {_qualified(COMMITS_RELATION)} "
        f"where repository in ({placeholders})",
        *repositories,
    )
    return commits, deployments


@dlt.source(name=DATASET)
def commit_graph_source(deployment_commits: pa.Table | None = None) -> DltResource:
    """``deployment_commits``: the commits each deployment newly shipped (see the module)."""
    table = (
        DEPLOYMENT_COMMITS_SCHEMA.empty_table()
        if deployment_commits is None
        else deployment_commits
    )
    return dlt.resource(
        [table],
        name=TABLE,
        write_disposition="replace",
        primary_key=["repository", "commit_sha"],
        columns=table_columns(DEPLOYMENT_COMMITS_SCHEMA),
    )


def load_deployment_commits(pipeline: dlt.Pipeline) -> pa.Table:
    """Walk the commit graph in ``pipeline``'s warehouse and replace
    ``commit_graph.deployment_commits`` with what each deployment shipped; returns those rows."""
    with pipeline.sql_client() as client:
        commits, deployments = read_walk_inputs(client)
    table = shipped_commits(commits, deployments)
    pipeline.run(commit_graph_source(table))
    return table
