"""What reaches production when: deployments (with retries after failures), the release tags on
them and the incidents that follow specific deployments, with their fixes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from demo.webshop.model import Deployment, Incident, PlannedCommit, Release
from demo.webshop.people import (
    ALICE,
    BOGDAN,
    CARLA,
    DEV,
    EMMA,
    KENJI,
    Person,
    working_time,
)
from demo.webshop.plan_work import git_identity
from demo.webshop.timeline import NOW, START, some_minutes


def plan_deployments(rng: random.Random) -> list[Deployment]:
    """Production deployments two to four days a week (with retries after failures) and some
    staging deployments; nothing in the Christmas change freeze."""
    deployments: list[Deployment] = []
    monday = date(2024, 9, 2)
    while monday <= NOW.date():
        days = [monday + timedelta(days=offset) for offset in range(5)]
        count = 0 if monday == date(2024, 12, 23) else rng.choice((2, 3, 3, 3, 4))
        if monday == date(2024, 12, 30):
            count = 1
        if monday == date(2024, 9, 2):
            days = days[3:]
        chosen = sorted(rng.sample(days, min(count, len(days))))
        if monday == date(2024, 12, 30):
            chosen = [date(2025, 1, 2)]
        for day in chosen:
            created = datetime.combine(day, clock(13), UTC) + some_minutes(0, 200, rng)
            if day == NOW.date():
                created = datetime.combine(day, clock(9, 40), UTC) + some_minutes(0, 30, rng)
            if created + timedelta(minutes=30) > NOW:
                continue
            roll = rng.random()
            outcome = "failure" if roll < 0.05 else "error" if roll < 0.08 else "success"
            deployment = Deployment(
                "production", created - some_minutes(1, 3, rng), created, outcome, "regular"
            )
            deployments.append(deployment)
            if outcome != "success":
                retry = created + some_minutes(40, 100, rng)
                deployments.append(
                    Deployment(
                        "production", retry - some_minutes(1, 2, rng), retry, "success", "retry"
                    )
                )
            elif rng.random() < 0.12:  # a second deployment the same day
                again = created + some_minutes(90, 180, rng)
                if again + timedelta(minutes=30) < NOW:
                    deployments.append(
                        Deployment(
                            "production",
                            again - some_minutes(1, 2, rng),
                            again,
                            "success",
                            "regular",
                        )
                    )
            if rng.random() < 0.5:
                staging = created - some_minutes(60, 180, rng)
                deployments.append(
                    Deployment(
                        "staging", staging - some_minutes(1, 2, rng), staging, "success", "regular"
                    )
                )
        monday += timedelta(days=7)
    return sorted(deployments, key=lambda d: d.created_at)


def plan_releases(deployments: list[Deployment], rng: random.Random) -> list[Release]:
    """A release tag on one production deployment every one or two weeks: the deployment
    ships the tagged commit."""
    releases: list[Release] = []
    last: datetime | None = None
    captains = (ALICE, KENJI, CARLA, BOGDAN)
    for deployment in deployments:
        if not deployment.production or deployment.reason != "regular" or not deployment.succeeded:
            continue
        if deployment.created_at < datetime(2024, 9, 12, tzinfo=UTC):
            continue
        gap = None if last is None else deployment.created_at - last
        if gap is not None and (
            gap < timedelta(days=7) or (gap < timedelta(days=12) and rng.random() < 0.55)
        ):
            continue
        tagged = deployment.created_at - some_minutes(5, 20, rng)
        deployment.cut_at = tagged
        annotated = len(releases) % 5 != 3  # every fifth tag is lightweight
        name = f"v1.{len([r for r in releases if 'hotfix' not in r.name])}.0"
        deployment.description = f"Deploy {name}"
        releases.append(
            Release(
                name,
                tagged,
                captains[len(releases) % len(captains)],
                annotated,
                annotated or len(releases) == 8,
                deployment,
            )
        )
        last = deployment.created_at
    return releases


@dataclass(frozen=True)
class IncidentStory:
    """What goes wrong: the commit that breaks production, the symptom and how it is fixed."""

    title: str
    target: date
    """The incident follows the first suitable production deployment from this day on."""
    resolution: str
    """``revert`` (of the culprit), ``hotfix`` (tagged fix), ``fix`` (after the weekend) or
    ``open``."""
    culprit: str
    culprit_area: str
    culprit_recipe: str
    culprit_author: Person
    fix_subject: str = ""


INCIDENTS = (
    IncidentStory(
        "Checkout fails with 500 for carts with coupon codes", date(2024, 10, 9), "revert",
        "feat(cart): apply coupon codes before tax", "cart", "add", CARLA,
    ),
    IncidentStory(
        "Payment webhook retries flood the order queue", date(2024, 11, 13), "hotfix",
        "feat(payments): retry failed webhooks immediately", "payments", "add", DEV,
        "fix(payments): cap webhook retries per event",
    ),
    IncidentStory(
        "Search returns no results for accented queries", date(2024, 12, 10), "revert",
        "perf(search): normalise queries once", "search", "add", BOGDAN,
    ),
    IncidentStory(
        "Payment gateway timeouts after config change", date(2025, 1, 24), "fix",
        "chore(config): lower payment gateway timeout", "payments", "config-break", KENJI,
        "fix(config): restore payment gateway timeout to 30 s",
    ),
    IncidentStory(
        "Order confirmation emails sent twice", date(2025, 2, 11), "revert",
        "feat(orders): send confirmation from the order worker", "orders", "add", EMMA,
    ),
    IncidentStory(
        "Product images fail to load on mobile Safari", date(2025, 2, 26), "open",
        "perf(catalog): serve product images as WebP", "catalog", "add", ALICE,
    ),
)  # fmt: skip
ON_CALL = (KENJI, ALICE, BOGDAN, CARLA, EMMA, DEV)


def plan_incidents(
    deployments: list[Deployment], releases: list[Release], rng: random.Random
) -> list[Incident]:
    """Incidents opened a few hours after specific production deployments, and their fixes
    (each fix with its own deployment; the hotfix one tagged ``v1.<n>.1-hotfix``)."""
    incidents = []
    for index, story in enumerate(INCIDENTS):
        production = sorted((d for d in deployments if d.production), key=lambda d: d.created_at)
        opener, fixer = ON_CALL[index], ON_CALL[(index + 1) % len(ON_CALL)]
        for position, deployment in enumerate(production):
            if deployment.created_at.date() < story.target or not deployment.succeeded:
                continue
            if deployment.created_at > NOW - timedelta(hours=8):
                continue
            if story.resolution == "fix" and deployment.created_at.weekday() != 4:
                continue  # a Friday deployment: the fix waits for Monday
            following = production[position + 1 : position + 2]
            if following and following[0].created_at < deployment.created_at + timedelta(hours=9):
                continue
            break
        else:
            raise RuntimeError(f"no deployment to attach incident {story.title!r} to")
        earliest = production[position - 1].created_at if position else START
        pushed = max(
            earliest + some_minutes(1, 5, rng), deployment.cut_at - some_minutes(25, 80, rng)
        )
        author = story.culprit_author
        culprit = PlannedCommit(
            author, git_identity(author, rng), pushed - some_minutes(0, 3, rng), pushed,
            story.culprit, story.culprit_recipe, story.culprit_area,
        )  # fmt: skip
        title, resolution, fix_subject = story.title, story.resolution, story.fix_subject
        opened = deployment.created_at + timedelta(minutes=7) + some_minutes(90, 300, rng)
        incident = Incident(
            title, opener, deployment, opened, resolution, fixer, culprit, fix_subject
        )
        if resolution == "revert":
            incident.fix_at = opened + some_minutes(50, 150, rng)
        elif resolution == "hotfix":
            incident.fix_at = opened + some_minutes(90, 200, rng)
        elif resolution == "fix":
            incident.fix_at = working_time(fixer, opened + timedelta(days=2), rng)
            incident.labels = ("incident", "bug", "area:payments")
        if incident.fix_at is not None:
            fix_deploy = incident.fix_at + some_minutes(15, 40, rng)
            incident.fix_deployment = Deployment(
                "production",
                incident.fix_at + timedelta(minutes=6),
                fix_deploy,
                "success",
                "fix",
                f"Fix for {title.lower()}",
            )
            if resolution == "hotfix":
                minor = len([r for r in releases if r.tagged_at < incident.fix_at]) - 1
                incident.hotfix = Release(
                    f"v1.{minor}.1-hotfix",
                    incident.fix_at + timedelta(minutes=4),
                    fixer,
                    True,
                    True,
                    incident.fix_deployment,
                )
                incident.fix_deployment.description = f"Deploy {incident.hotfix.name}"
                releases.append(incident.hotfix)
            deployments.append(incident.fix_deployment)
            deployments.sort(key=lambda d: d.created_at)
        incidents.append(incident)
    return incidents


def finish_deployments(deployments: list[Deployment], rng: random.Random) -> None:
    """Status times; an environment's previous successful deployment turns inactive when the
    next one succeeds."""
    last_success: dict[str, Deployment] = {}
    for deployment in deployments:
        deployment.started_at = deployment.created_at + timedelta(seconds=rng.randint(15, 60))
        deployment.finished_at = deployment.created_at + some_minutes(3, 9, rng)
        if deployment.outcome != "success":
            deployment.run_failed = True
            continue
        previous = last_success.get(deployment.environment)
        if previous is not None:
            previous.inactive_at = deployment.finished_at + timedelta(seconds=rng.randint(1, 5))
        last_success[deployment.environment] = deployment
