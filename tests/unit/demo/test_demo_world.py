"""The demo engineering world: a real git repository and a GitHub world that agree with it.

Everything is checked with ``git`` itself: every SHA the GitHub world names is a real commit (on
``main`` where GitHub would say so), squash-merged branches survive only under ``refs/pull``,
``.mailmap`` folds Bogdan's two addresses into one, reverts name commits that production had
shipped, and nothing happens after the demo's "now". Two generations give the same SHAs and the
same JSON byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.webshop import FULL_NAME, REMOTE_URL
from demo.webshop.people import BOGDAN, BOGDAN_LAPTOP, EMMA
from demo.webshop.timeline import NOW
from demo.webshop.world import DemoWorld, write_demo_world

pytestmark = pytest.mark.usefixtures("plain_git")

START = datetime(2024, 9, 2, tzinfo=UTC)


def git(world: DemoWorld, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(world.repository_path), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def is_ancestor(world: DemoWorld, ancestor: str, descendant: str) -> bool:
    command = ["git", "-C", str(world.repository_path), "merge-base", "--is-ancestor"]
    return subprocess.run([*command, ancestor, descendant], check=False).returncode == 0


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Generated:
    world: DemoWorld
    seconds: float
    repository: dict[str, Any]
    commits: dict[str, tuple[list[str], datetime, datetime]]
    """Every commit: parents, author date, committer date."""
    subjects: dict[str, str]
    refs: dict[str, str]
    on_main: set[str]
    outside_pull_refs: set[str]
    """Commits that some ref other than ``refs/pull/*`` reaches."""

    def git(self, *args: str) -> str:
        return git(self.world, *args)


def generate(root: Path) -> Generated:
    started = time.perf_counter()
    world = write_demo_world(root)
    seconds = time.perf_counter() - started
    print(f"demo world generated in {seconds:.2f} s")
    document = json.loads(world.world_path.read_text())
    commits, subjects = {}, {}
    for line in git(world, "log", "--all", "--format=%H|%P|%aI|%cI|%s").splitlines():
        sha, parents, authored, committed, subjects[sha] = line.split("|", 4)
        commits[sha] = (parents.split(), when(authored), when(committed))
    refs = dict(
        line.split()[::-1]
        for line in git(world, "for-each-ref", "--format=%(objectname) %(refname)").splitlines()
    )
    return Generated(
        world,
        seconds,
        document["repositories"][FULL_NAME],
        commits,
        subjects,
        refs,
        set(git(world, "rev-list", "main").split()),
        set(git(world, "rev-list", "--exclude=refs/pull/*", "--all").split()),
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return generate(tmp_path_factory.mktemp("first"))


def test_two_generations_are_identical(demo: Generated, tmp_path: Path) -> None:
    again = generate(tmp_path)
    refs = "--format=%(refname) %(objectname)"
    assert again.git("for-each-ref", refs) == demo.git("for-each-ref", refs)
    assert again.commits == demo.commits
    assert again.world.world_path.read_bytes() == demo.world.world_path.read_bytes()

    # A current world is kept, not rebuilt: a rebuild writes a new file and a new folder.
    stamp = again.world.world_path.stat().st_mtime_ns
    folder = again.world.repository_path.stat().st_ino
    assert write_demo_world(tmp_path) == again.world
    assert again.world.world_path.stat().st_mtime_ns == stamp
    assert again.world.repository_path.stat().st_ino == folder

    write_demo_world(tmp_path, overwrite=True)
    assert again.world.world_path.stat().st_mtime_ns != stamp
    assert again.world.repository_path.stat().st_ino != folder
    assert again.world.world_path.read_bytes() == demo.world.world_path.read_bytes()
    assert again.git("rev-parse", "main") == demo.git("rev-parse", "main")


def test_generation_is_fast(demo: Generated) -> None:
    print(f"generation took {demo.seconds:.2f} s")
    assert demo.seconds < 10


def test_repository_looks_like_a_clone(demo: Generated) -> None:
    assert demo.git("config", "remote.origin.url").strip() == REMOTE_URL
    assert demo.git("symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert demo.git("status", "--porcelain") == ""
    assert (demo.world.repository_path / ".mailmap").is_file()
    branches = demo.git("for-each-ref", "--format=%(refname)", "refs/heads").split()
    assert "refs/heads/main" in branches and len(branches) > 3
    assert 400 <= len(demo.commits) <= 700
    assert not any(ref.startswith("refs/heads/pull") for ref in branches)


def test_nothing_happens_outside_the_demo_period(demo: Generated) -> None:
    for _, authored, committed in demo.commits.values():
        assert START <= authored <= committed <= NOW
    for line in demo.git("for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags").split():
        assert when(line) <= NOW

    def timestamps(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and (key.endswith("_at") or key == "date"):
                    yield item
                yield from timestamps(item)
        elif isinstance(value, list):
            for item in value:
                yield from timestamps(item)

    moments = [when(text) for text in timestamps(demo.repository)]
    assert len(moments) > 3000
    assert all(START <= moment <= NOW for moment in moments)


def test_mailmap_folds_two_emails_into_one_person(demo: Generated) -> None:
    raw = set(demo.git("log", "--all", "--format=%an <%ae>").splitlines())
    mapped = set(demo.git("log", "--all", "--format=%aN <%aE>").splitlines())
    laptop = f"{BOGDAN_LAPTOP[0]} <{BOGDAN_LAPTOP[1]}>"
    work = f"{BOGDAN.name} <{BOGDAN.email}>"
    assert laptop in raw and work in raw
    assert laptop not in mapped and work in mapped
    assert f"{EMMA.name} <{EMMA.email}>" in mapped
    assert EMMA.email.endswith(f"+{EMMA.login}@users.noreply.github.com")
    offsets = {line[-6:] for line in demo.git("log", "--all", "--format=%aI").splitlines()}
    assert len(offsets) >= 6, offsets


def test_pull_requests_match_the_repository(demo: Generated) -> None:
    pulls = demo.repository["pulls"]
    kinds: dict[str, int] = {}
    bot_reviewed = 0
    for pull in pulls:
        number = pull["number"]
        commits = demo.repository["pull_commits"][str(number)]
        shas = [commit["sha"] for commit in commits]
        assert shas and all(sha in demo.commits for sha in shas)
        assert demo.refs[f"refs/pull/{number}/head"] == pull["head"]["sha"]
        assert shas[-1] == pull["head"]["sha"]
        assert pull["base"]["ref"] == "main"
        created, updated = when(pull["created_at"]), when(pull["updated_at"])
        assert created <= updated
        reviews = demo.repository["reviews"].get(str(number), [])
        for review in reviews:
            assert created < when(review["submitted_at"]) <= updated
            assert review["commit_id"] in shas
            assert review["user"]["login"] != pull["user"]["login"]
        bots = [r for r in reviews if r["user"]["type"] == "Bot"]
        if bots:
            bot_reviewed += 1
            assert reviews[0] == bots[0], "the linter bot comments before any human"
            assert when(bots[0]["submitted_at"]) - created < timedelta(minutes=10)
        if pull["merged_at"] is None:
            kinds[pull["state"]] = kinds.get(pull["state"], 0) + 1
            assert pull["merge_commit_sha"] is None
            continue
        merged = when(pull["merged_at"])
        assert merged == when(pull["closed_at"]) <= updated
        sha = pull["merge_commit_sha"]
        assert sha in demo.on_main
        parents, authored, committed = demo.commits[sha]
        assert committed == merged
        if len(parents) == 2:
            kind = "merge"
            assert parents[1] == pull["head"]["sha"]
            assert all(s in demo.on_main for s in shas)
        elif demo.subjects[sha].endswith(f"(#{number})"):
            kind = "squash"
            assert authored == merged
            assert not set(shas) & demo.outside_pull_refs, "only refs/pull keeps them"
        else:
            kind = "rebase"
            rebased = sha
            for original in reversed(commits):
                parents_of, authored_at, committed_at = demo.commits[rebased]
                assert authored_at == when(original["commit"]["author"]["date"])
                assert committed_at == merged
                assert demo.subjects[rebased] == original["commit"]["message"].split("\n")[0]
                rebased = parents_of[0]
            assert not set(shas) & demo.on_main
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"pull requests: {len(pulls)} {kinds}")
    assert bot_reviewed > 0.7 * len(pulls)
    assert 100 <= len(pulls) <= 150
    merged_count = kinds["merge"] + kinds["squash"] + kinds["rebase"]
    assert 0.5 < kinds["merge"] / merged_count < 0.7
    assert 0.18 < kinds["squash"] / merged_count < 0.35
    assert 0.05 < kinds["rebase"] / merged_count < 0.15
    assert kinds["open"] >= 2 and kinds["closed"] >= 2
    assert any(p["user"]["login"] == "dependabot[bot]" and p["merged_at"] for p in pulls)
    assert sum(p["draft"] for p in pulls) == 2


def test_issues_include_pull_requests_and_incidents(demo: Generated) -> None:
    issues = demo.repository["issues"]
    numbers = [issue["number"] for issue in issues]
    assert numbers == list(range(1, len(numbers) + 1))
    pulls = {pull["number"] for pull in demo.repository["pulls"]}
    assert {i["number"] for i in issues if "pull_request" in i} == pulls
    incidents = [i for i in issues if any(label["name"] == "incident" for label in i["labels"])]
    assert len(incidents) == 6
    assert [i["state"] for i in incidents].count("open") == 1
    for issue in issues:
        if issue["closed_at"]:
            assert when(issue["created_at"]) < when(issue["closed_at"]) <= when(issue["updated_at"])


def production_successes(demo: Generated) -> list[tuple[datetime, str]]:
    """(first success time, sha) of every successful production deployment, in time order."""
    successes = []
    for deployment in demo.repository["deployments"]:
        statuses = demo.repository["deployment_statuses"][str(deployment["id"])]
        succeeded = [s for s in statuses if s["state"] == "success"]
        if deployment["production_environment"] and succeeded:
            successes.append((when(succeeded[0]["created_at"]), deployment["sha"]))
    return sorted(successes)


def test_deployments_releases_and_runs_name_real_commits(demo: Generated) -> None:
    deployments = demo.repository["deployments"]
    for deployment in deployments:
        assert deployment["sha"] in demo.on_main
        created = when(deployment["created_at"])
        assert demo.commits[deployment["sha"]][2] <= created
        statuses = sorted(
            demo.repository["deployment_statuses"][str(deployment["id"])], key=lambda s: s["id"]
        )
        assert statuses[0]["state"] == "in_progress"
        assert all(created < when(s["created_at"]) for s in statuses)
        assert when(statuses[-1]["created_at"]) == when(deployment["updated_at"])
    ids = [d["id"] for d in sorted(deployments, key=lambda d: d["created_at"])]
    assert ids == sorted(ids)
    successes = production_successes(demo)
    assert 2 * 26 <= len(successes) <= 4 * 26
    assert sum(d["environment"] == "staging" for d in deployments) >= 10

    tags = set(demo.git("tag").split())
    assert any(tag.endswith("-hotfix") for tag in tags)
    kinds = demo.git("for-each-ref", "--format=%(objecttype)", "refs/tags").split()
    assert kinds.count("tag") > kinds.count("commit") >= 1
    for release in demo.repository["releases"]:
        assert release["tag_name"] in tags
        assert when(release["created_at"]) <= when(release["published_at"])
    assert len(demo.repository["releases"]) >= len(tags) - 3

    pull_heads: dict[str, set[str]] = {}
    for pull in demo.repository["pulls"]:
        pull_heads.setdefault(pull["head"]["ref"], set()).update(
            c["sha"] for c in demo.repository["pull_commits"][str(pull["number"])]
        )
    names = set()
    for run in demo.repository["workflow_runs"]:
        names.add((run["name"], run["event"]))
        if run["event"] == "push":
            assert run["head_branch"] == "main" and run["head_sha"] in demo.on_main
        else:
            assert run["head_sha"] in pull_heads[run["head_branch"]]
    assert names == {("CI", "push"), ("CI", "pull_request"), ("Deploy", "push")}
    deploy_runs = [r for r in demo.repository["workflow_runs"] if r["name"] == "Deploy"]
    assert {r["conclusion"] for r in deploy_runs} == {"success", "failure"}


def test_reverts_undo_shipped_commits(demo: Generated) -> None:
    successes = production_successes(demo)
    log = demo.git("log", "main", "--format=%H%x00%cI%x00%B%x01").split("\x01")
    reverts = [entry.strip("\n").split("\x00") for entry in log if '\x00Revert "' in entry]
    assert 2 <= len(reverts) <= 3
    for sha, committed, message in reverts:
        reverted = message.split("This reverts commit ", 1)[1][:40]
        subject = demo.subjects[reverted]
        assert message.startswith(f'Revert "{subject}"')
        assert demo.commits[sha][0] == [demo.git("rev-parse", f"{sha}^").strip()]
        deployed_before = [deployed for at, deployed in successes if at < when(committed)]
        assert is_ancestor(demo.world, reverted, deployed_before[-1]), f"{subject} never shipped"


def test_incidents_follow_production_deployments(demo: Generated) -> None:
    successes = production_successes(demo)
    incidents = [
        i
        for i in demo.repository["issues"]
        if any(label["name"] == "incident" for label in i["labels"])
    ]
    for incident in incidents:
        opened = when(incident["created_at"])
        before = [at for at, _ in successes if at <= opened]
        hours = (opened - before[-1]).total_seconds() / 3600
        assert 1 <= hours <= 6, incident["title"]
        if incident["closed_at"]:
            closed = when(incident["closed_at"])
            assert any(opened < at < closed for at, _ in successes), "fixed by a deployment"
