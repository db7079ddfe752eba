"""What each deployment shipped: the one-pass walk against ``git rev-list`` and brute force.

The release-flow repository (``git_repository.build_release_flow``) has every shape that decides
what a release ships: merge, squash and rebase merges, a release branch merged back, a
cherry-pick, a tag on a branch never merged, an older commit deployed later and a force-pushed
default branch. The expected sets come from git itself; random graphs are checked against sets
of ancestors computed the slow way.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ingestion.git.shipped_commits import Deployment, shipped_commits

from support.git_repository import (
    build_release_flow,
    commit_graph,
    rev_list_shipped,
    rewrite_release_flow,
)

START = datetime(2025, 1, 1, tzinfo=UTC)


def shipped_sets(table) -> dict[str, set[str]]:
    shipped: dict[str, set[str]] = {}
    for row in table.to_pylist():
        shipped.setdefault(row["deployment_id"], set()).add(row["commit_sha"])
    return shipped


def test_release_flow_ships_what_git_rev_list_says(tmp_path):
    flow = build_release_flow(tmp_path / "flow")
    rewrite_release_flow(flow)
    path = flow.repository.path
    peeled = [(tag, flow.repository.git("rev-parse", f"{tag}^{{commit}}")) for tag in flow.tags]
    deployments = [
        Deployment("flow", tag, sha, START + timedelta(hours=index))
        for index, (tag, sha) in enumerate(peeled)
    ]
    commits = [("flow", sha, parents) for sha, parents in commit_graph(path)]

    shipped = shipped_sets(shipped_commits(commits, deployments))

    expected = rev_list_shipped(path, peeled)
    assert {tag: shipped.get(tag, set()) for tag in flow.tags} == expected
    # The shapes, by name (the docstring of build_release_flow).
    names = {sha: name for name, sha in flow.shas.items()}
    assert sorted(names[sha] for sha in expected["v1.1.0"]) == [
        "a1", "a2", "f1", "m1", "p2", "s1", "u1r", "u2r",
    ]  # fmt: skip
    assert sorted(names[sha] for sha in expected["v1.2.0"]) == ["c2", "c3", "c4", "c5", "mb"]
    assert expected["v1.2.5"] == {flow.shas["e1"]}
    assert expected["v1.0.1"] == set()
    assert sorted(names[sha] for sha in expected["v1.4.0"]) == ["x2", "y1"]
    # Every commit a tag reaches is shipped once; z1 (rewritten away) and the squashed and
    # rebased originals (on no tag) are not.
    assert sum(map(len, shipped.values())) == len(set().union(*shipped.values()))
    assert flow.shas["z1"] not in set().union(*shipped.values())


def ancestors(parents: dict[str, list[str]], head: str) -> set[str]:
    seen, stack = set(), [head]
    while stack:
        commit = stack.pop()
        if commit in seen or commit not in parents:
            continue
        seen.add(commit)
        stack.extend(parents[commit])
    return seen


def test_random_graphs_match_sets_of_ancestors():
    """Each deployment ships its ancestors minus every earlier deployment's, on random DAGs
    with merges, several roots, redeploys and deployments of unknown commits."""
    generator = random.Random(20261202)
    for _ in range(200):
        size = generator.randint(1, 60)
        parents: dict[str, list[str]] = {}
        for index in range(size):
            count = generator.choice([0, 1, 1, 1, 2, 2, 3]) if index else 0
            parents[f"c{index}"] = sorted(
                {f"c{generator.randrange(index)}" for _ in range(count)} if index else set()
            )
        heads = [f"c{generator.randrange(size)}" for _ in range(generator.randint(1, 8))]
        heads.append("unknown")
        generator.shuffle(heads)
        deployments = [
            Deployment("repo", f"d{index}", head, START + timedelta(minutes=index))
            for index, head in enumerate(heads)
        ]
        commits = [("repo", sha, " ".join(p)) for sha, p in parents.items()]

        shipped = shipped_sets(shipped_commits(commits, list(reversed(deployments))))

        earlier: set[str] = set()
        for deployment in deployments:
            expected = ancestors(parents, deployment.commit_sha) - earlier
            assert shipped.get(deployment.deployment_id, set()) == expected
            earlier |= expected


def test_deploy_order_is_time_then_id_per_repository():
    """Two repositories share nothing; at the same time, the smaller id is the earlier."""
    commits = [("a", "a1", ""), ("a", "a2", "a1"), ("b", "a1", ""), ("b", "b2", "a1")]
    same_time = START + timedelta(days=1)
    deployments = [
        Deployment("a", "2", "a2", same_time),
        Deployment("a", "1", "a1", same_time),
        Deployment("b", "9", "b2", START),
        Deployment("c", "7", "c1", START),  # a repository without a loaded clone
    ]

    table = shipped_commits(commits, deployments)

    assert sorted(table.to_pylist(), key=lambda row: tuple(row.values())) == [
        {"repository": "a", "deployment_id": "1", "commit_sha": "a1"},
        {"repository": "a", "deployment_id": "2", "commit_sha": "a2"},
        {"repository": "b", "deployment_id": "9", "commit_sha": "a1"},
        {"repository": "b", "deployment_id": "9", "commit_sha": "b2"},
    ]
