"""Real git repositories built commit by commit with fixed dates, for tests of repository data.

:class:`Repository` runs git with fixed identities and dates. :func:`build_release_flow` builds a
history with every shape that decides what a deployment ships (see its docstring), and
:func:`rev_list_shipped` asks git itself what each deployment newly shipped: the independent
method the warehouse's walk is checked against.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from support.environment import PROJECT_ROOT


class Repository:
    """A git repository under construction, with every date fixed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str, when: str = "2025-01-01T00:00:00Z", commit_when: str = "") -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Ada Lovelace",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Lovelace",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": commit_when or when,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path),
        }
        result = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def commit(self, name: str, when: str, commit_when: str = "") -> str:
        (self.path / f"{name}.txt").write_text(f"{name}\n")
        self.git("add", f"{name}.txt", when=when)
        self.git("commit", "--quiet", "-m", f"Add {name}", when=when, commit_when=commit_when)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, when: str, *, annotated: bool = True, target: str = "HEAD") -> None:
        args = ["tag", "-a", "-m", f"Release {name}", name] if annotated else ["tag", name]
        self.git(*args, target, when=when)


@dataclass
class ReleaseFlow:
    """The release-flow repository: commit names to shas, and its release tags in deploy
    order (by tag date)."""

    repository: Repository
    shas: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def tag(self, name: str, when: str, target: str = "HEAD") -> None:
        self.repository.tag(name, when, target=target)
        self.tags.append(name)


def build_release_flow(path: Path) -> ReleaseFlow:
    """A history with each shape that decides what a deployment (a release tag) ships, up to the
    moment before its default branch is force-pushed (:func:`rewrite_release_flow`).

    ======  ==================================================================================
    tag     what it ships (git rev-list <tag> --not <earlier tags>)
    ======  ==================================================================================
    v1.0.0  c1, the first commit
    v1.1.0  on ``release/1.1``: the cart branch a1, a2 and its merge m1, the squash s1 (the
            squashed b1, b2 stay on their kept branch), the rebased u1', u2' (rebase merge),
            then the release fix f1 and the cherry-pick p2 of main's c2; not c2 and c3, which
            main got after the branch point
    v1.1.1  f2 on ``release/1.1``
    v1.2.0  main after ``release/1.1`` is merged back by mb: c2, c3, c4 (authored after v1.1.0
            was tagged: a range between two mainline positions would credit it to v1.1.0),
            mb and c5
    v1.2.5  e1 on ``spike``, a branch that is never merged
    v1.0.1  c3, an older commit deployed later: ships nothing
    v1.3.0  x1 on main (main is force-pushed next: x1 stays, kept by its tag)
    ======  ==================================================================================
    """
    repo = Repository(path)
    flow = ReleaseFlow(repo)
    flow.shas["c1"] = repo.commit("c1", "2025-01-06T09:00:00Z")
    flow.tag("v1.0.0", "2025-01-06T12:00:00Z")

    repo.git("checkout", "--quiet", "-b", "feature/cart")
    flow.shas["a1"] = repo.commit("a1", "2025-01-07T08:00:00Z")
    flow.shas["a2"] = repo.commit("a2", "2025-01-07T09:00:00Z")
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge cart", "feature/cart",
             when="2025-01-07T10:00:00Z")  # fmt: skip
    flow.shas["m1"] = repo.head()

    repo.git("checkout", "--quiet", "-b", "feature/search")
    flow.shas["b1"] = repo.commit("b1", "2025-01-07T11:00:00Z")
    flow.shas["b2"] = repo.commit("b2", "2025-01-07T12:00:00Z")
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--squash", "feature/search", when="2025-01-07T14:00:00Z")
    repo.git("commit", "--quiet", "-m", "Search (#2)", when="2025-01-07T14:00:00Z")
    flow.shas["s1"] = repo.head()

    repo.git("checkout", "--quiet", "-b", "feature/ui")
    repo.commit("u1", "2025-01-07T15:00:00Z")
    repo.commit("u2", "2025-01-07T15:30:00Z")
    repo.git("rebase", "--quiet", "--force-rebase", "main", when="2025-01-07T16:00:00Z")
    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--ff-only", "feature/ui", when="2025-01-07T16:00:00Z")
    repo.git("branch", "--quiet", "-D", "feature/ui")
    flow.shas["u2r"] = repo.head()
    flow.shas["u1r"] = repo.git("rev-parse", "HEAD~1")

    repo.git("branch", "release/1.1")
    flow.shas["c2"] = repo.commit("c2", "2025-01-08T10:00:00Z")
    flow.shas["c3"] = repo.commit("c3", "2025-01-08T11:00:00Z")
    repo.git("checkout", "--quiet", "release/1.1")
    flow.shas["f1"] = repo.commit("f1", "2025-01-08T12:00:00Z")
    repo.git("cherry-pick", flow.shas["c2"], when="2025-01-08T10:00:00Z",
             commit_when="2025-01-08T12:30:00Z")  # fmt: skip
    flow.shas["p2"] = repo.head()
    flow.tag("v1.1.0", "2025-01-08T13:00:00Z")

    repo.git("checkout", "--quiet", "main")
    flow.shas["c4"] = repo.commit("c4", "2025-01-08T13:01:36Z")
    repo.git("checkout", "--quiet", "release/1.1")
    flow.shas["f2"] = repo.commit("f2", "2025-01-09T09:00:00Z")
    flow.tag("v1.1.1", "2025-01-09T10:00:00Z")

    repo.git("checkout", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge release/1.1", "release/1.1",
             "-X", "theirs", when="2025-01-09T11:00:00Z")  # fmt: skip
    flow.shas["mb"] = repo.head()
    flow.shas["c5"] = repo.commit("c5", "2025-01-09T12:00:00Z")
    flow.tag("v1.2.0", "2025-01-09T13:00:00Z")

    repo.git("checkout", "--quiet", "-b", "spike")
    flow.shas["e1"] = repo.commit("e1", "2025-01-09T14:00:00Z")
    flow.tag("v1.2.5", "2025-01-09T15:00:00Z")
    repo.git("checkout", "--quiet", "main")

    flow.tag("v1.0.1", "2025-01-10T09:00:00Z", target=flow.shas["c3"])

    flow.shas["x1"] = repo.commit("x1", "2025-01-10T10:00:00Z")
    flow.tag("v1.3.0", "2025-01-10T11:00:00Z")
    flow.shas["z1"] = repo.commit("z1", "2025-01-10T11:30:00Z")
    return flow


def rewrite_release_flow(flow: ReleaseFlow) -> None:
    """Force-push main: z1 (never deployed) is dropped, x1 is rewritten as x2 (x1 stays, kept
    by v1.3.0), y1 follows; v1.4.0 ships x2 and y1. y1's author clock ran ahead: authored at
    13:05, five minutes after v1.4.0 was tagged."""
    repo = flow.repository
    repo.git("reset", "--quiet", "--hard", flow.shas["c5"])
    flow.shas["x2"] = repo.commit("x2", "2025-01-10T10:00:00Z", commit_when="2025-01-10T12:00:00Z")
    flow.shas["y1"] = repo.commit("y1", "2025-01-10T13:05:00Z", commit_when="2025-01-10T12:30:00Z")
    flow.tag("v1.4.0", "2025-01-10T13:00:00Z")


def rev_list_shipped(path: Path, deployments: list[tuple[str, str]]) -> dict[str, set[str]]:
    """``{deployment: commits}``: ``git rev-list <commit> --not <every earlier commit>`` for
    ``(deployment, commit-ish)`` pairs in deploy order, asked of git itself."""
    shipped: dict[str, set[str]] = {}
    earlier: list[str] = []
    for deployment, commit in deployments:
        result = subprocess.run(
            ["git", "-C", str(path), "rev-list", "--stdin"],
            input="\n".join([commit, *(f"^{sha}" for sha in earlier)]) + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        shipped[deployment] = set(result.stdout.split())
        earlier.append(commit)
    return shipped


def commit_graph(path: Path) -> list[tuple[str, str]]:
    """``(commit, parents)`` of every commit any branch or tag reaches, as ``git rev-list``
    lists them (the parents separated by spaces)."""
    lines = subprocess.run(
        ["git", "-C", str(path), "rev-list", "--parents", "--branches", "--tags"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [(line.split(" ", 1)[0], line.partition(" ")[2]) for line in lines]


def commit_count(repository: Path = PROJECT_ROOT) -> int:
    """Commits reachable from HEAD, branches and tags of ``repository``, counted by git itself."""
    output = subprocess.run(
        ["git", "-C", str(repository), "rev-list", "--count", "HEAD", "--branches", "--tags"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(output.stdout)
