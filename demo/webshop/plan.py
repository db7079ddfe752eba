"""The plan of the demo world: everything that happens, before any commit exists (issues are
planned here; work and deployments in :mod:`demo.webshop.plan_work` and
:mod:`demo.webshop.plan_deployments`)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from demo.webshop.files import AREAS
from demo.webshop.model import Issue, Plan, PullRequest
from demo.webshop.people import DEVELOPERS, OLIVIA, PR_RATE, at_work
from demo.webshop.plan_deployments import (
    finish_deployments,
    plan_deployments,
    plan_incidents,
    plan_releases,
)
from demo.webshop.plan_work import plan_dependabot, plan_human_pull, plan_pushes, plan_setup
from demo.webshop.timeline import NOW, activity, seeded_random, some_minutes, working_days

ISSUE_TITLES = {
    "enhancement": (
        "Let customers save {x}",
        "Show {x} on the product page",
        "Export {x} as CSV",
        "Support {x} in the admin",
    ),
    "bug": ("Wrong {x} shown after login", "{x} not updated after refund", "Crash when {x} empty"),
}
ISSUE_SUBJECTS = ("delivery dates", "coupon totals", "order notes", "stock levels", "wishlists")


def plan_issues(pulls: list[PullRequest], rng: random.Random) -> list[Issue]:
    """Feature requests and bug reports; most are closed when a pull request of their area is
    merged, some are closed as not planned, some stay open."""
    issues = []
    for day in working_days(date(2024, 9, 4), NOW.date()):
        if rng.random() >= 0.33 * activity(day):
            continue
        kind = "enhancement" if rng.random() < 0.55 else "bug"
        author = OLIVIA if kind == "enhancement" else rng.choice(DEVELOPERS)
        area = rng.choice(AREAS)
        title = rng.choice(ISSUE_TITLES[kind]).format(x=rng.choice(ISSUE_SUBJECTS))
        created = at_work(author, day, rng)
        roll = rng.random()
        closed, reason = None, None
        if roll < 0.65:
            fixes = [
                p.ended_at
                for p in pulls
                if p.merged and p.area == area and p.created_at > created and p.ended_at
            ]
            if fixes and min(fixes) <= NOW:
                closed, reason = min(fixes) + timedelta(seconds=rng.randint(2, 30)), "completed"
        elif roll < 0.75:
            closed, reason = created + timedelta(days=rng.uniform(3, 30)), "not_planned"
        if closed is not None and closed > NOW:
            closed, reason = None, None
        issues.append(Issue(title, author, created, (kind, f"area:{area}"), closed, reason))
    return issues


def _truncate_pull(pull: PullRequest) -> bool:
    """Cut a pull request to what exists at "now"; False when it does not exist yet."""
    if pull.created_at > NOW:
        return False
    if pull.ended_at is not None and pull.ended_at > NOW:
        pull.outcome, pull.ended_at = "open", None
    cutoff = NOW if pull.ended_at is None else pull.ended_at
    pull.commits = [c for c in pull.commits if (c.visible_at or c.committed_at) <= cutoff]
    pull.reviews = [r for r in pull.reviews if r.submitted_at <= cutoff]
    return True


def make_plan() -> Plan:
    """Everything that happens in the demo world, numbered as GitHub numbers pull requests and
    issues (one sequence, by creation time)."""
    rng = seeded_random("pulls")
    pulls: list[PullRequest] = []
    for day in working_days(date(2024, 9, 3), NOW.date()):
        for person in DEVELOPERS:
            if rng.random() < PR_RATE[person] * activity(day):
                pulls.append(plan_human_pull(len(pulls), person, day, rng))
    # A few pull requests are abandoned, two recent ones are drafts still being worked on.
    fate = seeded_random("fate")
    for pull in pulls:
        if fate.random() < 0.05:
            pull.outcome = "closed"
            pull.ended_at = pull.reviews[-1].submitted_at + some_minutes(30, 60 * 48, fate)
            pull.keep_branch = fate.random() < 0.5
    recent = [p for p in pulls if NOW - timedelta(days=12) < p.created_at < NOW]
    for pull in recent[-4:-2]:
        pull.outcome, pull.ended_at, pull.draft = "open", None, True
        pull.reviews = [r for r in pull.reviews if r.reviewer.is_bot]
    merged_kept = [p for p in pulls if p.outcome == "merge"]
    for pull in fate.sample(merged_kept, 3):
        pull.keep_branch = True
    pulls += plan_dependabot(len(pulls), seeded_random("dependabot"))
    pulls = [p for p in pulls if _truncate_pull(p)]
    seen: set[str] = set()
    for pull in sorted(pulls, key=lambda p: p.created_at):
        base, suffix = pull.branch, 2
        while pull.branch in seen:
            pull.branch, suffix = f"{base}-{suffix}", suffix + 1
        seen.add(pull.branch)

    pushes = [p for p in plan_pushes(seeded_random("pushes")) if p.committed_at <= NOW]
    deployment_rng = seeded_random("deployments")
    deployments = plan_deployments(deployment_rng)
    releases = plan_releases(deployments, deployment_rng)
    incidents = plan_incidents(deployments, releases, seeded_random("incidents"))
    pushes += [incident.culprit for incident in incidents]
    finish_deployments(deployments, deployment_rng)
    for incident in incidents:
        fix = incident.fix_deployment
        if fix is not None and fix.finished_at is not None:
            incident.closed_at = fix.finished_at + some_minutes(10, 50, deployment_rng)
    for release in releases:
        if release.deployment is not None and release.tagged_at > release.deployment.cut_at:
            raise AssertionError(f"{release.name}: tagged after its deployment's cut")
    issues = plan_issues(pulls, seeded_random("issues"))

    numbered: list[tuple[datetime, int, Any]] = [(p.created_at, 0, p) for p in pulls]
    numbered += [(i.created_at, 1, i) for i in issues]
    numbered += [(i.opened_at, 2, i) for i in incidents]
    for number, (_, _, item) in enumerate(sorted(numbered, key=lambda t: (t[0], t[1])), 1):
        item.number = number
    return Plan(pulls, pushes, deployments, releases, incidents, issues, plan_setup())
