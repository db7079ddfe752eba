"""The demo world on disk: the repository ``webshop`` and its GitHub world
``webshop.github.json`` side by side, written together and kept while current."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.history import git
from demo.webshop import FULL_NAME, GENERATOR_VERSION, REPOSITORY, VERSION_CONFIG_KEY
from demo.webshop.github_delivery import deployments_json, releases_json, workflow_runs_json
from demo.webshop.github_items import (
    issue_json,
    pull_commit_json,
    pull_issue_json,
    pull_json,
    reviews_json,
)
from demo.webshop.model import Plan
from demo.webshop.plan import make_plan
from demo.webshop.repository import build_repository
from demo.webshop.simulation import History
from demo.webshop.timeline import NOW, iso, seeded_random


def github_world(plan: Plan, history: History) -> dict[str, Any]:
    """The GitHub world JSON of the simulated history."""
    rng = seeded_random("github")
    pulls = sorted(plan.pulls, key=lambda p: p.number)
    issues = [pull_issue_json(p) for p in pulls]
    for issue in plan.issues:
        issues.append(
            issue_json(
                issue.number, issue.title, issue.author, issue.labels, issue.created_at,
                issue.closed_at, issue.state_reason, rng.randint(0, 4),
            )
        )  # fmt: skip
    for incident in plan.incidents:
        issues.append(
            issue_json(
                incident.number, incident.title, incident.opener, incident.labels,
                incident.opened_at, incident.closed_at, "completed" if incident.closed_at else None,
                rng.randint(3, 12),
            )
        )  # fmt: skip
    issues.sort(key=lambda issue: issue["number"])
    deployments, statuses = deployments_json(plan)
    repository = {
        "default_branch": "main",
        "pulls": [pull_json(p) for p in pulls],
        "reviews": reviews_json(plan),
        "pull_commits": {
            str(p.number): [pull_commit_json(c.commit) for c in p.commits if c.commit]
            for p in pulls
        },
        "issues": issues,
        "releases": releases_json(plan, rng),
        "deployments": deployments,
        "deployment_statuses": statuses,
        "workflow_runs": workflow_runs_json(plan, history, rng),
    }
    return {
        "now": iso(NOW),
        "generator_version": GENERATOR_VERSION,
        "repositories": {FULL_NAME: repository},
    }


@dataclass(frozen=True)
class DemoWorld:
    """Where a demo world lives: the git repository and the GitHub world JSON."""

    repository_path: Path
    world_path: Path
    full_name: str = FULL_NAME


def demo_world_paths(root: Path) -> DemoWorld:
    """Where the demo world lives under ``root``."""
    return DemoWorld(Path(root) / REPOSITORY, Path(root) / f"{REPOSITORY}.github.json")


def is_current(world: DemoWorld) -> bool:
    """True when both halves exist and were written by this generator version."""
    if not world.world_path.is_file() or not (world.repository_path / ".git").exists():
        return False
    try:
        document = json.loads(world.world_path.read_text())
        marker = git(world.repository_path, "config", "--get", VERSION_CONFIG_KEY).strip()
    except (ValueError, RuntimeError):
        return False
    return document.get("generator_version") == GENERATOR_VERSION and marker == str(
        GENERATOR_VERSION
    )


def write_demo_world(root: Path, *, overwrite: bool = False) -> DemoWorld:
    """Write the demo repository ``root/webshop`` and its GitHub world
    ``root/webshop.github.json``; keep them when they are current, unless ``overwrite``."""
    world = demo_world_paths(root)
    if not overwrite and is_current(world):
        return world
    world.repository_path.parent.mkdir(parents=True, exist_ok=True)
    plan = make_plan()
    history = History(plan)
    history.run()
    with tempfile.TemporaryDirectory(dir=world.repository_path.parent, prefix=".webshop-") as tmp:
        building = Path(tmp) / REPOSITORY
        build_repository(building, history)
        document = json.dumps(github_world(plan, history), indent=1, ensure_ascii=False)
        (Path(tmp) / "world.json").write_text(document + "\n")
        world.world_path.unlink(missing_ok=True)
        if world.repository_path.exists():
            shutil.rmtree(world.repository_path)
        building.rename(world.repository_path)
        os.replace(Path(tmp) / "world.json", world.world_path)
    return world
