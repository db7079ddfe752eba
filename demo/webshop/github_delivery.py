"""How the demo world's code ships, as GitHub's REST API returns it: workflow runs (CI on every
push, Deploy for every production deployment), deployments with their statuses, and releases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.webshop import API_URL, HTML_URL
from demo.webshop.model import Commit, Deployment, Plan, PlannedCommit
from demo.webshop.people import ACTIONS, Person
from demo.webshop.simulation import History
from demo.webshop.timeline import NOW, iso, some_minutes


@dataclass
class _Run:
    workflow: str
    event: str
    branch: str
    commit: Commit
    created_at: datetime
    actor: Person
    title: str
    failed: bool
    finished_at: datetime


WORKFLOWS = {
    "CI": (81_000_101, ".github/workflows/ci.yml"),
    "Deploy": (81_000_102, ".github/workflows/deploy.yml"),
}


def workflow_runs_json(plan: Plan, history: History, rng: random.Random) -> list[dict[str, Any]]:
    """CI on every pull request push and every push to ``main``; Deploy for every production
    deployment (failing when the deployment failed)."""
    runs: list[_Run] = []
    for pull in plan.pulls:
        pushed: dict[datetime, PlannedCommit] = {}
        for planned in pull.commits:
            assert planned.visible_at is not None
            pushed[planned.visible_at] = planned
        for moment, planned in sorted(pushed.items()):
            assert planned.commit is not None
            created = moment + timedelta(seconds=rng.randint(4, 20))
            runs.append(
                _Run("CI", "pull_request", pull.branch, planned.commit, created, pull.author,
                     pull.title, rng.random() < 0.08, created + some_minutes(3, 7, rng))
            )  # fmt: skip
    pushers: dict[int, Person] = {}
    for pull in plan.pulls:
        if pull.merge_commit is not None and pull.merger is not None:
            pushers[pull.merge_commit.mark] = pull.merger
    mainline = [commit for commit, _ in history.mainline]
    for index, commit in enumerate(mainline):
        following = mainline[index + 1] if index + 1 < len(mainline) else None
        if following is not None and following.committed_at == commit.committed_at:
            continue  # one push of several rebased commits: one run, on the last
        if not commit.parents:
            continue
        created = commit.committed_at + timedelta(seconds=rng.randint(4, 30))
        actor = pushers.get(commit.mark, commit.author_person)
        runs.append(
            _Run("CI", "push", "main", commit, created, actor, commit.subject,
                 rng.random() < 0.04, created + some_minutes(3, 7, rng))
        )  # fmt: skip
    for deployment in plan.deployments:
        if not deployment.production:
            continue
        assert deployment.commit is not None and deployment.finished_at is not None
        runs.append(
            _Run("Deploy", "push", "main", deployment.commit,
                 deployment.created_at - timedelta(seconds=rng.randint(20, 50)), ACTIONS,
                 deployment.commit.subject, deployment.run_failed,
                 deployment.finished_at + timedelta(seconds=rng.randint(5, 20)))
        )  # fmt: skip
    runs = [run for run in runs if run.created_at <= NOW]
    runs.sort(key=lambda run: (run.created_at, run.workflow, run.commit.mark))
    numbers = dict.fromkeys(WORKFLOWS, 0)
    documents = []
    for index, run in enumerate(runs):
        numbers[run.workflow] += 1
        run_id = 10_500_000_000 + index * 11
        workflow_id, path = WORKFLOWS[run.workflow]
        started = run.created_at + timedelta(seconds=rng.randint(2, 9))
        done = run.finished_at <= NOW
        documents.append(
            {
                "id": run_id,
                "name": run.workflow,
                "head_branch": run.branch,
                "head_sha": run.commit.sha,
                "path": path,
                "display_title": run.title,
                "run_number": numbers[run.workflow],
                "event": run.event,
                "status": "completed" if done else "in_progress",
                "conclusion": ("failure" if run.failed else "success") if done else None,
                "workflow_id": workflow_id,
                "url": f"{API_URL}/actions/runs/{run_id}",
                "html_url": f"{HTML_URL}/actions/runs/{run_id}",
                "created_at": iso(run.created_at),
                "updated_at": iso(run.finished_at if done else started),
                "run_attempt": 1,
                "run_started_at": iso(started),
                "actor": run.actor.user(),
                "triggering_actor": run.actor.user(),
            }
        )
    return documents


def deployments_json(plan: Plan) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The deployments in the order they were created and the statuses of each (``in_progress``,
    its outcome and, once a later one succeeds, ``inactive``), by deployment id."""
    deployments = sorted(plan.deployments, key=lambda d: d.created_at)
    statuses: list[tuple[datetime, Deployment, str]] = []
    for index, deployment in enumerate(deployments):
        deployment.deployment_id = 1_900_000_000 + index * 17
        assert deployment.started_at is not None and deployment.finished_at is not None
        statuses.append((deployment.started_at, deployment, "in_progress"))
        statuses.append((deployment.finished_at, deployment, deployment.outcome))
        if deployment.inactive_at is not None and deployment.inactive_at <= NOW:
            statuses.append((deployment.inactive_at, deployment, "inactive"))
    statuses.sort(key=lambda s: (s[0], s[1].deployment_id))
    by_deployment: dict[str, list[dict[str, Any]]] = {}
    updated: dict[int, datetime] = {}
    for index, (moment, deployment, state) in enumerate(statuses):
        status_id = 3_100_000_000 + index * 5
        url = f"{API_URL}/deployments/{deployment.deployment_id}"
        host = "webshop.example" if deployment.production else "staging.webshop.example"
        by_deployment.setdefault(str(deployment.deployment_id), []).append(
            {
                "url": f"{url}/statuses/{status_id}",
                "id": status_id,
                "state": state,
                "creator": ACTIONS.user(),
                "description": {"in_progress": "Deploying", "inactive": "Superseded"}.get(
                    state, f"Deployment {state}"
                ),
                "environment": deployment.environment,
                "target_url": f"{HTML_URL}/actions",
                "log_url": f"{HTML_URL}/actions",
                "environment_url": f"https://{host}",
                "created_at": iso(moment),
                "updated_at": iso(moment),
                "deployment_url": url,
                "repository_url": API_URL,
            }
        )
        updated[deployment.deployment_id] = moment
    documents = []
    for deployment in deployments:
        assert deployment.commit is not None
        url = f"{API_URL}/deployments/{deployment.deployment_id}"
        documents.append(
            {
                "url": url,
                "id": deployment.deployment_id,
                "sha": deployment.commit.sha,
                "ref": "main",
                "task": "deploy",
                "payload": {},
                "original_environment": deployment.environment,
                "environment": deployment.environment,
                "description": deployment.description or None,
                "creator": ACTIONS.user(),
                "created_at": iso(deployment.created_at),
                "updated_at": iso(updated[deployment.deployment_id]),
                "statuses_url": f"{url}/statuses",
                "repository_url": API_URL,
                "transient_environment": False,
                "production_environment": deployment.production,
            }
        )
    return documents, by_deployment


def releases_json(plan: Plan, rng: random.Random) -> list[dict[str, Any]]:
    """The published releases, with notes listing the pull requests merged since the previous
    tag."""
    documents = []
    merged = sorted((p for p in plan.pulls if p.merged and p.ended_at), key=lambda p: p.number)
    previous: datetime | None = None
    for index, release in enumerate(sorted(plan.releases, key=lambda r: r.tagged_at)):
        assert release.commit is not None
        notes = [
            f"* {p.title} by @{p.author.login} in {HTML_URL}/pull/{p.number}"
            for p in merged
            if p.ended_at is not None
            and (previous is None or p.ended_at > previous)
            and p.ended_at <= release.tagged_at
        ]
        previous = release.tagged_at
        if not release.published:
            continue
        release_id = 190_000_000 + index * 1013
        documents.append(
            {
                "url": f"{API_URL}/releases/{release_id}",
                "id": release_id,
                "html_url": f"{HTML_URL}/releases/tag/{release.name}",
                "tag_name": release.name,
                "target_commitish": "main",
                "name": release.name,
                "body": "## What's Changed\n" + "\n".join(notes),
                "draft": False,
                "prerelease": False,
                "created_at": iso(release.commit.committed_at),
                "published_at": iso(release.tagged_at + some_minutes(2, 25, rng)),
                "author": release.tagger.user(),
            }
        )
    return documents
