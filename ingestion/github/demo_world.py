"""A deterministic demo engineering world: the git repository ``webshop`` and its GitHub data.

Six developers in five time zones (one commits under two emails that a committed ``.mailmap``
reconciles, one under a GitHub noreply address) build a small web shop from 2024-09-02 to the
demo's "now", 2025-03-03T12:00Z. Work reaches ``main`` through pull requests merged the three
ways GitHub offers (merge commit, squash, rebase), through direct pushes and through dependabot;
a few pull requests are closed unmerged or still open. Production deployments go out two to
four times a week (none in the Christmas freeze), some fail and are retried, release tags and
GitHub releases follow every one or two weeks, and six incidents follow specific deployments:
three are fixed by reverting a shipped commit, two by a fix pushed straight to ``main`` (one
tagged ``-hotfix``), one is still open.

The repository is written by one ``git fast-import`` stream with fixed identities, dates and
time zones, so every run gives the same commit SHAs; the GitHub world (pulls, reviews, pull
commits, issues, releases, deployments and their statuses, workflow runs; see
``ingestion/github/local_github.py``) names those SHAs, so git and GitHub data join up::

    python -m ingestion.github.demo_world --root data/demo
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 1
"""Bump when the generated world changes: existing worlds of another version are rebuilt."""

DEMO_NOW = "2025-03-03T12:00:00+00:00"
"""The demo's "now", the same instant as ``ingestion.exchange.defaults.DEMO_NOW``."""
NOW = datetime.fromisoformat(DEMO_NOW)
START = datetime(2024, 9, 2, tzinfo=UTC)

OWNER = "tributary-demo"
REPOSITORY = "webshop"
FULL_NAME = f"{OWNER}/{REPOSITORY}"
REMOTE_URL = f"https://github.com/{FULL_NAME}.git"
API_URL = f"https://api.github.com/repos/{FULL_NAME}"
HTML_URL = f"https://github.com/{FULL_NAME}"
VERSION_CONFIG_KEY = "tributary.demoworldversion"


# --- people and clocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """A time zone over the demo period: summer time until ``summer_ends`` (UTC), then standard
    time (daylight saving starts again only after the demo's "now")."""

    standard_minutes: int
    summer_minutes: int | None = None
    summer_ends: datetime | None = None

    def offset(self, instant: datetime) -> int:
        """Minutes east of UTC at ``instant``."""
        if self.summer_ends is not None and instant < self.summer_ends:
            return self.summer_minutes or self.standard_minutes
        return self.standard_minutes


EU_SUMMER_ENDS = datetime(2024, 10, 27, 1, tzinfo=UTC)
US_PACIFIC_SUMMER_ENDS = datetime(2024, 11, 3, 9, tzinfo=UTC)
BERLIN = Zone(60, 120, EU_SUMMER_ENDS)
BUCHAREST = Zone(120, 180, EU_SUMMER_ENDS)
LONDON = Zone(0, 60, EU_SUMMER_ENDS)
SAO_PAULO = Zone(-180)
KOLKATA = Zone(330)
TOKYO = Zone(540)
LOS_ANGELES = Zone(-480, -420, US_PACIFIC_SUMMER_ENDS)
UTC_ZONE = Zone(0)


@dataclass(frozen=True)
class Person:
    """A developer or bot: git identity, GitHub account, time zone and working hours."""

    name: str
    email: str
    login: str
    user_id: int
    zone: Zone
    hours: tuple[float, float] = (9.0, 18.0)
    is_bot: bool = False

    @property
    def identity(self) -> tuple[str, str]:
        return self.name, self.email

    def user(self) -> dict[str, Any]:
        """The GitHub ``user`` object."""
        return {
            "login": self.login,
            "id": self.user_id,
            "type": "Bot" if self.is_bot else "User",
            "html_url": f"https://github.com/{self.login.replace('[bot]', '')}",
            "site_admin": False,
        }

    def local(self, instant: datetime) -> datetime:
        """Naive local wall-clock time of ``instant``."""
        return (instant + timedelta(minutes=self.zone.offset(instant))).replace(tzinfo=None)

    def at_local(self, wall: datetime) -> datetime:
        """The UTC instant of a naive local wall-clock time."""
        guess = wall.replace(tzinfo=UTC) - timedelta(minutes=self.zone.standard_minutes)
        return wall.replace(tzinfo=UTC) - timedelta(minutes=self.zone.offset(guess))


ALICE = Person("Alice Martin", "alice.martin@webshop.example", "alicemartin", 5123401, BERLIN)
BOGDAN = Person("Bogdan Ionescu", "bogdan.ionescu@webshop.example", "bionescu", 6234512, BUCHAREST)
BOGDAN_LAPTOP = ("bogdan", "bogdan.ionescu@gmail.com")
"""Bogdan's second git identity (personal laptop), mapped to the first by ``.mailmap``."""
CARLA = Person("Carla Souza", "carla.souza@webshop.example", "carlasouza", 7345623, SAO_PAULO)
DEV = Person("Dev Patel", "dev.patel@webshop.example", "devpatel", 8456734, KOLKATA)
EMMA = Person(
    "Emma Wilson", "48213907+emmaw@users.noreply.github.com", "emmaw", 48213907, LOS_ANGELES
)
"""Commits under her GitHub noreply address (``<id>+<login>@users.noreply.github.com``)."""
KENJI = Person("Kenji Sato", "kenji.sato@webshop.example", "ksato", 9567845, TOKYO, (10.0, 19.0))
OLIVIA = Person("Olivia Brown", "olivia.brown@webshop.example", "olivia-pm", 10678956, LONDON)
DEPENDABOT = Person(
    "dependabot[bot]",
    "49699333+dependabot[bot]@users.noreply.github.com",
    "dependabot[bot]",
    49699333,
    UTC_ZONE,
    is_bot=True,
)
LINTER = Person(
    "ci-linter[bot]", "ci-linter@webshop.example", "ci-linter[bot]", 91234567, UTC_ZONE, is_bot=True
)
ACTIONS = Person(
    "github-actions[bot]",
    "41898282+github-actions[bot]@users.noreply.github.com",
    "github-actions[bot]",
    41898282,
    UTC_ZONE,
    is_bot=True,
)
WEB_FLOW = ("GitHub", "noreply@github.com")
"""The committer of everything GitHub itself commits (merge buttons, dependabot)."""

DEVELOPERS = (ALICE, BOGDAN, CARLA, DEV, EMMA, KENJI)
PR_RATE = {ALICE: 0.18, BOGDAN: 0.16, CARLA: 0.16, DEV: 0.14, EMMA: 0.2, KENJI: 0.05}
"""Chance per working day that a developer starts a pull request."""
PUSH_RATE = {ALICE: 0.05, BOGDAN: 0.06, CARLA: 0.05, DEV: 0.05, EMMA: 0.03, KENJI: 0.36}
"""Chance per working day of a direct push to ``main`` (Kenji works trunk-style)."""

MAILMAP = f"{BOGDAN.name} <{BOGDAN.email}> {BOGDAN_LAPTOP[0]} <{BOGDAN_LAPTOP[1]}>"


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_seed("webshop", GENERATOR_VERSION, *parts))


def _minutes(low: float, high: float, rng: random.Random) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high) * 60))


def _activity(day: date) -> float:
    """Share of the usual activity: the team is mostly away over Christmas."""
    return 0.2 if date(2024, 12, 23) <= day <= date(2025, 1, 1) else 1.0


def working_time(person: Person, instant: datetime, rng: random.Random) -> datetime:
    """``instant`` when it falls in the person's working hours, else a few minutes into their
    next working day."""
    wall = person.local(instant)
    start, end = person.hours
    hour = wall.hour + wall.minute / 60
    if wall.weekday() < 5 and start <= hour < end:
        return instant.replace(microsecond=0)
    day = wall.date() if wall.weekday() < 5 and hour < start else wall.date() + timedelta(days=1)
    while day.weekday() >= 5 or (_activity(day) < 1 and rng.random() < 0.7):
        day += timedelta(days=1)
    wall_start = datetime.combine(day, clock()) + timedelta(hours=start)
    return person.at_local(wall_start) + _minutes(2, 75, rng)


def at_work(person: Person, day: date, rng: random.Random) -> datetime:
    """A random moment of ``day`` in the person's working hours."""
    start, end = person.hours
    wall = datetime.combine(day, clock()) + timedelta(hours=rng.uniform(start, end - 0.5))
    return person.at_local(wall.replace(microsecond=0))


def iso(instant: datetime | None) -> str | None:
    """GitHub's timestamp form (UTC, seconds, ``Z``)."""
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- file contents ----------------------------------------------------------------------------

Tree = dict[str, dict[str, str]]
"""Text files as keyed entries (a function, a section, a requirement), rendered sorted by key."""
Change = dict[str, dict[str, str | None]]
"""New entry values per file (``None`` deletes the entry)."""

AREAS = ("cart", "checkout", "catalog", "payments", "search", "accounts", "shipping", "orders")
MODULES = ("service", "models", "api")
FEATURES = {
    "cart": ("coupon codes", "saved carts", "quantity limits", "gift wrapping", "cart expiry"),
    "checkout": ("guest checkout", "address autocomplete", "order notes", "express checkout"),
    "catalog": ("product variants", "stock badges", "bulk price import", "category filters"),
    "payments": ("PayPal payments", "refund webhooks", "3-D Secure", "invoice payments"),
    "search": ("typo tolerance", "search suggestions", "facet counts", "synonyms"),
    "accounts": ("password reset", "two-factor login", "address book", "wishlists"),
    "shipping": ("parcel tracking", "pickup points", "delivery estimates", "shipping rates cache"),
    "orders": ("order history export", "partial refunds", "status emails", "returns portal"),
}
FIXES = {
    "cart": ("rounding of line totals", "stale prices in saved carts", "duplicate lines"),
    "checkout": ("tax on shipping costs", "postal code validation", "double submit"),
    "catalog": ("missing variant images", "stock count after import", "slow category page"),
    "payments": ("webhook signature check", "currency of refunds", "retry backoff"),
    "search": ("accented queries", "pagination of results", "empty facet labels"),
    "accounts": ("session expiry", "email change confirmation", "locale of emails"),
    "shipping": ("weight units", "holiday delivery dates", "address line length"),
    "orders": ("timezone of order dates", "export encoding", "cancelled order totals"),
}
CHORES = ("speed up tests", "tidy service layer", "typed models", "structured logging")
PACKAGES = {
    "django": ("5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6"),
    "requests": ("2.32.2", "2.32.3"),
    "stripe": ("10.9.0", "10.12.0", "11.1.0", "11.3.0", "11.4.1"),
    "celery": ("5.4.0", "5.5.0rc1"),
    "redis": ("5.0.8", "5.1.1", "5.2.0", "5.2.1"),
    "pydantic": ("2.8.2", "2.9.2", "2.10.3", "2.10.6"),
    "gunicorn": ("23.0.0",),
    "sentry-sdk": ("2.13.0", "2.17.0", "2.19.2", "2.22.0"),
}
STATEMENTS = (
    "total = sum(line.price * line.quantity for line in {arg}.lines)",
    "if not {arg}:\n        return None",
    'log.info("{name} %s", {arg})',
    "limit = settings.{const}",
    "items = [item for item in {arg}.items if item.active]",
    'cache.set(f"{name}:{{{arg}.id}}", {arg}, timeout={number})',
    "retries = max(1, settings.{const} // {number})",
    "now = timezone.now()",
    "event = Event(kind={name!r}, subject={arg}.id)",
    "queue.publish(event)",
    "amount = Decimal({arg}.amount).quantize(CENT)",
    "if {arg}.currency != settings.CURRENCY:\n        raise CurrencyError({arg}.currency)",
)
CONSTANTS = ("MAX_ITEMS", "PAGE_SIZE", "TIMEOUT_SECONDS", "RETRY_LIMIT", "CACHE_SECONDS")
ARGUMENTS = ("order", "cart", "request", "customer", "payment", "query", "product")
VERBS = ("apply", "validate", "load", "compute", "render", "sync", "build", "check")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def function_entry(name: str, doc: str, rng: random.Random) -> str:
    arg = rng.choice(ARGUMENTS)
    lines = [
        statement.format(
            arg=arg, name=name, const=rng.choice(CONSTANTS), number=rng.randint(2, 900)
        )
        for statement in rng.sample(STATEMENTS, rng.randint(2, 5))
    ]
    result = rng.choice(("total", "items", "limit", "event", arg, "None"))
    body = "\n".join(f"    {line}" for line in [*lines, f"return {result}"])
    return f'def {name}({arg}):\n    """{doc}."""\n{body}'


def test_entry(name: str, rng: random.Random) -> str:
    arg = rng.choice(ARGUMENTS)
    return (
        f"def test_{name}(make_{arg}):\n"
        f"    {arg} = make_{arg}()\n"
        f"    assert {name}({arg}) is not None or {arg}.is_empty"
    )


def render(path: str, entries: dict[str, str]) -> bytes:
    """A file's bytes from its entries (sorted by key)."""
    keys = sorted(entries)
    if path.endswith(".py"):
        module = path.removesuffix(".py").replace("/", ".").removeprefix("src.")
        text = f'"""{module}."""\n\n\n' + "\n\n\n".join(entries[k] for k in keys)
    elif path.endswith(".md"):
        title = Path(path).stem.replace("_", " ").title()
        text = f"# {title}\n\n" + "\n\n".join(entries[k] for k in keys)
    else:
        text = "\n".join(entries[k] for k in keys)
    return text.rstrip("\n").encode() + b"\n"


def apply_change(tree: Tree, change: Change) -> tuple[Tree, Change]:
    """The tree with ``change`` applied, and the values the changed entries had before."""
    updated = dict(tree)
    before: Change = {}
    for path, entries in change.items():
        current = tree.get(path, {})
        new_entries = dict(current)
        for key, value in entries.items():
            before.setdefault(path, {})[key] = current.get(key)
            if value is None:
                new_entries.pop(key, None)
            else:
                new_entries[key] = value
        if new_entries:
            updated[path] = new_entries
        else:
            updated.pop(path, None)
    return updated, before


def net_change(base: Tree, head: Tree) -> Change:
    """What a branch changed relative to its base, entry by entry."""
    change: Change = {}
    for path in set(base) | set(head):
        old, new = base.get(path, {}), head.get(path, {})
        if old is new:
            continue
        for key in set(old) | set(new):
            if old.get(key) != new.get(key):
                change.setdefault(path, {})[key] = new.get(key)
    return change


def file_updates(old: Tree, new: Tree, paths: Sequence[str]) -> dict[str, bytes | None]:
    """The files whose bytes differ between two trees (``None``: deleted)."""
    updates: dict[str, bytes | None] = {}
    for path in sorted(set(paths)):
        before = render(path, old[path]) if path in old else None
        after = render(path, new[path]) if path in new else None
        if before != after:
            updates[path] = after
    return updates


def initial_tree() -> Tree:
    rng = _rng("initial-tree")
    tree: Tree = {
        "README.md": {
            "1": "The webshop: catalog, cart, checkout and orders for tributary-demo.",
            "2": "## Development\n\n    make install\n    make test",
            "3": "## Deployment\n\nThe `Deploy` workflow ships `main` to production.",
        },
        "requirements.txt": {pkg: f"{pkg}=={versions[0]}" for pkg, versions in PACKAGES.items()},
        "config/production.yaml": {
            "cache_seconds": "cache_seconds: 300",
            "payment_timeout_seconds": "payment_timeout_seconds: 30",
            "search_backend": "search_backend: opensearch",
            "workers": "workers: 8",
        },
        ".github/workflows/ci.yml": {
            "1": "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:",
            "2": "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: make test",
        },
        ".github/workflows/deploy.yml": {
            "1": "name: Deploy\non:\n  push:\n    branches: [main]",
            "2": "jobs:\n  deploy:\n    environment: production\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n      - run: make deploy",
        },
        "Makefile": {
            "1": "install:\n\tpip install -r requirements.txt",
            "2": "test:\n\tpytest -q",
            "3": "deploy:\n\t./scripts/deploy.sh",
        },
    }
    for area in AREAS:
        for module in MODULES:
            name = f"{rng.choice(VERBS)}_{area}_{module}"
            tree[f"src/webshop/{area}/{module}.py"] = {
                name: function_entry(name, f"The {area} {module} entry point", rng)
            }
        tree[f"tests/{area}/test_service.py"] = {
            f"test_{area}": test_entry(next(iter(tree[f"src/webshop/{area}/service.py"])), rng)
        }
    return tree


LOGO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
"""A binary file in the first commit."""


# --- the plan ---------------------------------------------------------------------------------


@dataclass(eq=False)
class Commit:
    """A commit of the repository, created by the simulation and written by fast-import."""

    mark: int
    author: tuple[str, str]
    authored_at: datetime
    author_offset: int
    committer: tuple[str, str]
    committed_at: datetime
    committer_offset: int
    message: str
    parents: list[Commit]
    files: dict[str, bytes | None]
    change: Change
    author_person: Person
    reverts: Commit | None = None
    is_bot: bool = False
    sha: str = ""

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def full_message(self) -> str:
        if self.reverts is None:
            return self.message
        return self.message.replace("{reverted_sha}", self.reverts.sha)


@dataclass(eq=False)
class PlannedCommit:
    """A commit someone will make: who, when, what message, what kind of change."""

    author: Person
    identity: tuple[str, str]
    authored_at: datetime
    committed_at: datetime
    subject: str
    recipe: str
    area: str
    committer: tuple[str, str] | None = None
    body: str = ""
    visible_at: datetime | None = None
    """When GitHub sees it (pushed to an open pull request)."""
    commit: Commit | None = None


@dataclass(eq=False)
class Review:
    reviewer: Person
    state: str
    submitted_at: datetime
    body: str = ""


@dataclass(eq=False)
class PullRequest:
    """A pull request's plan and, after the simulation, its commits."""

    key: int
    author: Person
    title: str
    branch: str
    kind: str
    area: str
    commits: list[PlannedCommit]
    created_at: datetime
    reviews: list[Review]
    outcome: str
    """``merge``, ``squash``, ``rebase``, ``closed`` or ``open``."""
    ended_at: datetime | None
    merger: Person | None = None
    draft: bool = False
    keep_branch: bool = False
    labels: tuple[str, ...] = ()
    number: int = 0
    added: list[tuple[str, str]] = field(default_factory=list)
    base_commit: Commit | None = None
    base_tree: Tree | None = None
    tree: Tree | None = None
    tip: Commit | None = None
    merge_commit: Commit | None = None

    @property
    def merged(self) -> bool:
        return self.outcome in ("merge", "squash", "rebase")

    @property
    def head(self) -> PlannedCommit:
        return self.commits[-1]

    @property
    def updated_at(self) -> datetime:
        moments = [self.created_at, *(c.visible_at or c.committed_at for c in self.commits)]
        moments += [review.submitted_at for review in self.reviews]
        if self.ended_at is not None:
            moments.append(self.ended_at + timedelta(seconds=2))
        return min(NOW, max(moments))


@dataclass(eq=False)
class Deployment:
    environment: str
    cut_at: datetime
    """``main`` as it was at this moment is what gets deployed."""
    created_at: datetime
    outcome: str
    reason: str
    description: str = ""
    finished_at: datetime | None = None
    started_at: datetime | None = None
    inactive_at: datetime | None = None
    commit: Commit | None = None
    shipped: list[Commit] = field(default_factory=list)
    deployment_id: int = 0
    run_failed: bool = False

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def succeeded(self) -> bool:
        return self.outcome == "success"


@dataclass(eq=False)
class Release:
    name: str
    tagged_at: datetime
    tagger: Person
    annotated: bool
    published: bool
    deployment: Deployment | None = None
    commit: Commit | None = None


@dataclass(eq=False)
class Incident:
    title: str
    opener: Person
    deployment: Deployment
    opened_at: datetime
    resolution: str
    """``revert``, ``hotfix``, ``fix`` or ``open``."""
    fix_author: Person
    culprit: PlannedCommit
    fix_subject: str = ""
    fix_at: datetime | None = None
    fix_deployment: Deployment | None = None
    closed_at: datetime | None = None
    hotfix: Release | None = None
    fix_commit: Commit | None = None
    reverted: Commit | None = None
    number: int = 0
    labels: tuple[str, ...] = ("incident", "bug")


@dataclass(eq=False)
class Issue:
    title: str
    author: Person
    created_at: datetime
    labels: tuple[str, ...]
    closed_at: datetime | None
    state_reason: str | None
    number: int = 0


@dataclass
class Plan:
    """Everything that happens in the demo world, before any commit exists."""

    pulls: list[PullRequest]
    pushes: list[PlannedCommit]
    deployments: list[Deployment]
    releases: list[Release]
    incidents: list[Incident]
    issues: list[Issue]
    setup: list[PlannedCommit]


def _pr_title(kind: str, area: str, rng: random.Random) -> tuple[str, str, str]:
    """Title, first commit subject and branch of a pull request."""
    if kind == "feature":
        phrase = rng.choice(FEATURES[area])
        verb = rng.choice(("Add", "Add", "Support", "Improve"))
        subject = f"feat({area}): {verb.lower()} {phrase}"
        return f"{verb} {phrase}", subject, f"feature/{slug(phrase)}"
    if kind == "fix":
        phrase = rng.choice(FIXES[area])
        return f"Fix {phrase}", f"fix({area}): {phrase}", f"fix/{slug(phrase)}"
    phrase = rng.choice(CHORES)
    return (
        f"{phrase.capitalize()} in {area}",
        f"refactor({area}): {phrase}",
        f"chore/{area}-{slug(phrase)}",
    )


FOLLOW_UPS = (
    ("test({area}): cover {topic}", "test"),
    ("refactor({area}): tidy up {topic}", "tweak"),
    ("address review comments", "tweak"),
    ("docs({area}): document {topic}", "docs"),
    ("fix lint", "tweak"),
    ("feat({area}): handle edge cases of {topic}", "tweak"),
    ("test({area}): more cases for {topic}", "test"),
)


def _identity(person: Person, rng: random.Random) -> tuple[str, str]:
    if person is BOGDAN and rng.random() < 0.35:
        return BOGDAN_LAPTOP
    return person.identity


def _reviewers(author: Person, rng: random.Random, count: int) -> list[Person]:
    return rng.sample([d for d in DEVELOPERS if d is not author], count)


def plan_human_pull(key: int, author: Person, day: date, rng: random.Random) -> PullRequest:
    """One developer's pull request: commits, opening, reviews and how it ends."""
    kind = rng.choices(("feature", "fix", "chore"), (55, 35, 10))[0]
    area = rng.choice(AREAS)
    title, first_subject, branch = _pr_title(kind, area, rng)
    topic = title.split(" ", 1)[1].lower()
    count = rng.choices((1, 2, 3, 4, 5, 6), (18, 26, 22, 16, 10, 8))[0]
    before_open = count if count <= 2 or rng.random() < 0.6 else rng.randint(1, count - 1)

    def commit_at(moment: datetime, subject: str, recipe: str) -> PlannedCommit:
        committed = moment
        if rng.random() < 0.15:  # amended or rebased locally before pushing
            committed = moment + _minutes(1, 40, rng)
        return PlannedCommit(
            author, _identity(author, rng), moment, committed, subject, recipe, area
        )

    first_recipe = "add" if kind == "feature" else "fix" if kind == "fix" else "tweak"
    moment = at_work(author, day, rng)
    commits = [commit_at(moment, first_subject, first_recipe)]
    follow_ups = list(FOLLOW_UPS)
    rng.shuffle(follow_ups)
    for index in range(1, before_open):
        moment = working_time(author, commits[-1].committed_at + _minutes(15, 300, rng), rng)
        subject, recipe = follow_ups[index % len(follow_ups)]
        commits.append(commit_at(moment, subject.format(area=area, topic=topic), recipe))
    created = working_time(author, commits[-1].committed_at + _minutes(3, 120, rng), rng)
    for planned in commits:
        planned.visible_at = created

    reviews: list[Review] = []
    if rng.random() < 0.85:
        reviews.append(Review(LINTER, "COMMENTED", created + _minutes(1.5, 6, rng), "Lint: ok"))
    reviewer, second = _reviewers(author, rng, 2)
    pickup = timedelta(hours=min(72.0, max(0.15, rng.lognormvariate(1.0, 1.1))))
    first_at = working_time(reviewer, created + pickup, rng)
    first_state = rng.choices(("CHANGES_REQUESTED", "COMMENTED", "APPROVED"), (25, 20, 55))[0]
    body = {"APPROVED": "Looks good", "CHANGES_REQUESTED": "Some changes needed"}.get(first_state)
    reviews.append(Review(reviewer, first_state, first_at, body or "A question inline"))
    later = count - before_open + (1 if first_state != "APPROVED" and count == before_open else 0)
    last = first_at
    for index in range(later):
        moment = working_time(author, last + _minutes(20, 360, rng), rng)
        subject, recipe = follow_ups[(before_open + index) % len(follow_ups)]
        if index == 0 and first_state == "CHANGES_REQUESTED":
            subject, recipe = "address review comments", "tweak"
        planned = commit_at(moment, subject.format(area=area, topic=topic), recipe)
        planned.visible_at = planned.committed_at + _minutes(0.5, 8, rng)
        commits.append(planned)
        last = planned.visible_at
    if rng.random() < 0.3:
        second_at = working_time(second, created + pickup * 1.5 + _minutes(20, 600, rng), rng)
        reviews.append(Review(second, rng.choice(("COMMENTED", "APPROVED")), second_at, "Nice"))
    approved_at = first_at
    if first_state != "APPROVED":
        approved_at = working_time(reviewer, last + _minutes(20, 480, rng), rng)
        reviews.append(Review(reviewer, "APPROVED", approved_at, "Thanks, LGTM"))
    last_event = max([approved_at, last, *(r.submitted_at for r in reviews)])
    merger = author if rng.random() < 0.8 else reviewer
    merged_at = working_time(merger, last_event + _minutes(4, 180, rng), rng)
    outcome = rng.choices(("merge", "squash", "rebase"), (63, 26, 11))[0]
    reviews.sort(key=lambda review: review.submitted_at)
    labels = {"feature": ("enhancement",), "fix": ("bug",), "chore": ("tech-debt",)}[kind]
    return PullRequest(
        key,
        author,
        title,
        branch,
        kind,
        area,
        commits,
        created,
        reviews,
        outcome,
        merged_at,
        merger=merger,
        labels=(*labels, f"area:{area}"),
    )


def plan_dependabot(start_key: int, rng: random.Random) -> list[PullRequest]:
    """Weekly dependabot pull requests; a newer bump supersedes an unmerged older one."""
    pulls: list[PullRequest] = []
    position = dict.fromkeys(PACKAGES, 0)
    pending: dict[str, PullRequest] = {}
    monday = date(2024, 9, 9)
    while monday < NOW.date():
        for _ in range(rng.choice((0, 1, 1, 2))):
            candidates = [p for p in PACKAGES if position[p] + 1 < len(PACKAGES[p])]
            if not candidates:
                break
            package = rng.choice(candidates)
            old, new = (
                PACKAGES[package][position[package]],
                PACKAGES[package][position[package] + 1],
            )
            position[package] += 1
            created = datetime.combine(monday, clock(5), UTC) + _minutes(0, 40, rng)
            if created > NOW:
                continue
            previous = pending.pop(package, None)
            if previous is not None and previous.ended_at and previous.ended_at > created:
                previous.outcome, previous.ended_at = "closed", created + _minutes(0.5, 2, rng)
                previous.reviews = [r for r in previous.reviews if r.submitted_at < created]
            committed = created - _minutes(0.3, 1, rng)
            commit = PlannedCommit(
                DEPENDABOT,
                DEPENDABOT.identity,
                committed,
                committed,
                f"Bump {package} from {old} to {new}",
                f"deps:{package}=={new}",
                "deps",
                committer=WEB_FLOW,
                body=(
                    f"Bumps [{package}](https://pypi.org/project/{package}) from {old} to {new}."
                    "\n\n---\nupdated-dependencies:\n"
                    f"- dependency-name: {package}\n  dependency-type: direct:production\n"
                    "...\n\nSigned-off-by: dependabot[bot] <support@github.com>"
                ),
                visible_at=created,
            )
            reviewer = rng.choice(DEVELOPERS)
            pickup = timedelta(hours=rng.uniform(1, 30) if rng.random() < 0.8 else 24 * 9)
            approved = working_time(reviewer, created + pickup, rng)
            reviews = [
                Review(LINTER, "COMMENTED", created + _minutes(1.5, 5, rng), "Lint: ok"),
                Review(reviewer, "APPROVED", approved),
            ]
            pull = PullRequest(
                start_key + len(pulls),
                DEPENDABOT,
                f"Bump {package} from {old} to {new}",
                f"dependabot/pip/{package}-{new}",
                "deps",
                "deps",
                [commit],
                created,
                reviews,
                rng.choice(("merge", "squash")),
                working_time(reviewer, approved + _minutes(2, 60, rng), rng),
                merger=reviewer,
                labels=("dependencies", "python"),
            )
            pending[package] = pull
            pulls.append(pull)
        monday += timedelta(days=7)
    return pulls


DIRECT_SUBJECTS = (
    ("fix({area}): typo in error message", "fix"),
    ("fix({area}): handle empty input", "fix"),
    ("docs: update README", "readme"),
    ("ci: cache pip downloads", "chore"),
    ("chore: tidy Makefile", "chore"),
    ("perf({area}): cache lookups", "tweak"),
    ("refactor({area}): rename helpers", "tweak"),
    ("chore(config): tune worker count", "config"),
)


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def plan_setup() -> list[PlannedCommit]:
    """The first commits, pushed straight to ``main``."""
    first = ALICE.at_local(datetime(2024, 9, 2, 9, 12, 5))
    return [
        PlannedCommit(ALICE, ALICE.identity, first, first, "Initial commit", "initial", "-"),
        PlannedCommit(
            KENJI,
            KENJI.identity,
            first + timedelta(hours=5, minutes=3),
            first + timedelta(hours=5, minutes=9),
            "ci: add CI and Deploy workflows",
            "chore",
            "-",
        ),
        PlannedCommit(
            KENJI,
            KENJI.identity,
            datetime(2024, 10, 8, 2, 14, 41, tzinfo=UTC),
            datetime(2024, 10, 8, 2, 16, 2, tzinfo=UTC),
            "chore: add .mailmap for Bogdan's two addresses",
            "mailmap",
            "-",
        ),
    ]


def plan_pushes(rng: random.Random) -> list[PlannedCommit]:
    pushes = []
    for day in _days(date(2024, 9, 3), NOW.date()):
        for person in DEVELOPERS:
            if rng.random() >= PUSH_RATE[person] * _activity(day):
                continue
            area = rng.choice(AREAS)
            subject, recipe = rng.choice(DIRECT_SUBJECTS)
            authored = at_work(person, day, rng)
            committed = authored + (_minutes(1, 25, rng) if rng.random() < 0.4 else timedelta())
            pushes.append(
                PlannedCommit(
                    person,
                    _identity(person, rng),
                    authored,
                    committed,
                    subject.format(area=area),
                    recipe,
                    area,
                )
            )
    return pushes


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
            created = datetime.combine(day, clock(13), UTC) + _minutes(0, 200, rng)
            if day == NOW.date():
                created = datetime.combine(day, clock(9, 40), UTC) + _minutes(0, 30, rng)
            if created + timedelta(minutes=30) > NOW:
                continue
            roll = rng.random()
            outcome = "failure" if roll < 0.05 else "error" if roll < 0.08 else "success"
            deployment = Deployment(
                "production", created - _minutes(1, 3, rng), created, outcome, "regular"
            )
            deployments.append(deployment)
            if outcome != "success":
                retry = created + _minutes(40, 100, rng)
                deployments.append(
                    Deployment("production", retry - _minutes(1, 2, rng), retry, "success", "retry")
                )
            elif rng.random() < 0.12:  # a second deployment the same day
                again = created + _minutes(90, 180, rng)
                if again + timedelta(minutes=30) < NOW:
                    deployments.append(
                        Deployment(
                            "production", again - _minutes(1, 2, rng), again, "success", "regular"
                        )
                    )
            if rng.random() < 0.5:
                staging = created - _minutes(60, 180, rng)
                deployments.append(
                    Deployment(
                        "staging", staging - _minutes(1, 2, rng), staging, "success", "regular"
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
        tagged = deployment.created_at - _minutes(5, 20, rng)
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
        pushed = max(earliest + _minutes(1, 5, rng), deployment.cut_at - _minutes(25, 80, rng))
        author = story.culprit_author
        culprit = PlannedCommit(
            author, _identity(author, rng), pushed - _minutes(0, 3, rng), pushed,
            story.culprit, story.culprit_recipe, story.culprit_area,
        )  # fmt: skip
        title, resolution, fix_subject = story.title, story.resolution, story.fix_subject
        opened = deployment.created_at + timedelta(minutes=7) + _minutes(90, 300, rng)
        incident = Incident(
            title, opener, deployment, opened, resolution, fixer, culprit, fix_subject
        )
        if resolution == "revert":
            incident.fix_at = opened + _minutes(50, 150, rng)
        elif resolution == "hotfix":
            incident.fix_at = opened + _minutes(90, 200, rng)
        elif resolution == "fix":
            incident.fix_at = working_time(fixer, opened + timedelta(days=2), rng)
            incident.labels = ("incident", "bug", "area:payments")
        if incident.fix_at is not None:
            fix_deploy = incident.fix_at + _minutes(15, 40, rng)
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


def _finish_deployments(deployments: list[Deployment], rng: random.Random) -> None:
    """Status times; an environment's previous successful deployment turns inactive when the
    next one succeeds."""
    last_success: dict[str, Deployment] = {}
    for deployment in deployments:
        deployment.started_at = deployment.created_at + timedelta(seconds=rng.randint(15, 60))
        deployment.finished_at = deployment.created_at + _minutes(3, 9, rng)
        if deployment.outcome != "success":
            deployment.run_failed = True
            continue
        previous = last_success.get(deployment.environment)
        if previous is not None:
            previous.inactive_at = deployment.finished_at + timedelta(seconds=rng.randint(1, 5))
        last_success[deployment.environment] = deployment


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
    for day in _days(date(2024, 9, 4), NOW.date()):
        if rng.random() >= 0.33 * _activity(day):
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
    rng = _rng("pulls")
    pulls: list[PullRequest] = []
    for day in _days(date(2024, 9, 3), NOW.date()):
        for person in DEVELOPERS:
            if rng.random() < PR_RATE[person] * _activity(day):
                pulls.append(plan_human_pull(len(pulls), person, day, rng))
    # A few pull requests are abandoned, two recent ones are drafts still being worked on.
    fate = _rng("fate")
    for pull in pulls:
        if fate.random() < 0.05:
            pull.outcome = "closed"
            pull.ended_at = pull.reviews[-1].submitted_at + _minutes(30, 60 * 48, fate)
            pull.keep_branch = fate.random() < 0.5
    recent = [p for p in pulls if NOW - timedelta(days=12) < p.created_at < NOW]
    for pull in recent[-4:-2]:
        pull.outcome, pull.ended_at, pull.draft = "open", None, True
        pull.reviews = [r for r in pull.reviews if r.reviewer.is_bot]
    merged_kept = [p for p in pulls if p.outcome == "merge"]
    for pull in fate.sample(merged_kept, 3):
        pull.keep_branch = True
    pulls += plan_dependabot(len(pulls), _rng("dependabot"))
    pulls = [p for p in pulls if _truncate_pull(p)]
    seen: set[str] = set()
    for pull in sorted(pulls, key=lambda p: p.created_at):
        base, suffix = pull.branch, 2
        while pull.branch in seen:
            pull.branch, suffix = f"{base}-{suffix}", suffix + 1
        seen.add(pull.branch)

    pushes = [p for p in plan_pushes(_rng("pushes")) if p.committed_at <= NOW]
    deployment_rng = _rng("deployments")
    deployments = plan_deployments(deployment_rng)
    releases = plan_releases(deployments, deployment_rng)
    incidents = plan_incidents(deployments, releases, _rng("incidents"))
    pushes += [incident.culprit for incident in incidents]
    _finish_deployments(deployments, deployment_rng)
    for incident in incidents:
        fix = incident.fix_deployment
        if fix is not None and fix.finished_at is not None:
            incident.closed_at = fix.finished_at + _minutes(10, 50, deployment_rng)
    for release in releases:
        if release.deployment is not None and release.tagged_at > release.deployment.cut_at:
            raise AssertionError(f"{release.name}: tagged after its deployment's cut")
    issues = plan_issues(pulls, _rng("issues"))

    numbered: list[tuple[datetime, int, Any]] = [(p.created_at, 0, p) for p in pulls]
    numbered += [(i.created_at, 1, i) for i in issues]
    numbered += [(i.opened_at, 2, i) for i in incidents]
    for number, (_, _, item) in enumerate(sorted(numbered, key=lambda t: (t[0], t[1])), 1):
        item.number = number
    return Plan(pulls, pushes, deployments, releases, incidents, issues, plan_setup())


# --- the simulation: commits in time order ----------------------------------------------------


class History:
    """Plays the plan in time order and creates every commit with its parents and files."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.commits: list[Commit] = []
        self.main_tip: Commit | None = None
        self.main_tree: Tree = {}
        self.mainline: list[tuple[Commit, list[Commit]]] = []
        """First-parent chain of ``main``: each commit and the commits it brought in."""
        self.shipped_upto = 0
        self.tags: list[Release] = []
        self.trees: dict[int, Tree] = {}
        """The tree after each commit, by mark (reverts restore entries from it)."""

    # -- commit creation --

    def _new_commit(
        self,
        planned_author: Person,
        identity: tuple[str, str],
        authored_at: datetime,
        committer: tuple[str, str],
        committed_at: datetime,
        message: str,
        parents: list[Commit],
        old_tree: Tree,
        new_tree: Tree,
        change: Change,
        *,
        author_offset: int | None = None,
        committer_offset: int | None = None,
        reverts: Commit | None = None,
    ) -> Commit:
        paths = [path for path in change if old_tree.get(path) != new_tree.get(path)]
        committer_zone = planned_author.zone if committer != WEB_FLOW else UTC_ZONE
        commit = Commit(
            mark=len(self.commits) + 1,
            author=identity,
            authored_at=authored_at,
            author_offset=(
                planned_author.zone.offset(authored_at) if author_offset is None else author_offset
            ),
            committer=committer,
            committed_at=committed_at,
            committer_offset=(
                committer_zone.offset(committed_at)
                if committer_offset is None
                else committer_offset
            ),
            message=message,
            parents=parents,
            files=file_updates(old_tree, new_tree, paths),
            change=change,
            author_person=planned_author,
            reverts=reverts,
            is_bot=planned_author.is_bot,
        )
        self.commits.append(commit)
        self.trees[commit.mark] = new_tree
        return commit

    def _from_plan(
        self, planned: PlannedCommit, parents: list[Commit], old: Tree, change: Change
    ) -> tuple[Commit, Tree]:
        new, _ = apply_change(old, change)
        message = planned.subject + (f"\n\n{planned.body}" if planned.body else "")
        commit = self._new_commit(
            planned.author,
            planned.identity,
            planned.authored_at,
            planned.committer or planned.identity,
            planned.committed_at,
            message,
            parents,
            old,
            new,
            change,
        )
        planned.commit = commit
        return commit, new

    def _push_main(self, commit: Commit, tree: Tree, brought: list[Commit]) -> None:
        self.main_tip, self.main_tree = commit, tree
        self.mainline.append((commit, brought))

    # -- changes --

    def make_change(self, planned: PlannedCommit, tree: Tree, pull: PullRequest | None) -> Change:
        rng = random.Random(_seed(planned.subject, iso(planned.authored_at), planned.recipe))
        recipe, area = planned.recipe, planned.area
        source = f"src/webshop/{area}/{rng.choice(MODULES)}.py"
        if recipe == "initial":
            change: Change = {path: dict(entries) for path, entries in initial_tree().items()}
            return change
        if recipe == "mailmap":
            return {".mailmap": {"bogdan": MAILMAP}}
        if recipe.startswith("deps:"):
            requirement = recipe.removeprefix("deps:")
            return {"requirements.txt": {requirement.split("==")[0]: requirement}}
        if recipe == "readme":
            return {"README.md": {f"4-{rng.randint(0, 9)}": f"## Notes\n\n{planned.subject}."}}
        if recipe == "chore":
            target = rng.choice(("Makefile", ".github/workflows/ci.yml"))
            key = rng.choice(sorted(tree.get(target, {"1": ""})))
            current = tree.get(target, {}).get(key, "")
            return {target: {key: current.rstrip() + f"\n# {planned.subject}"}}
        if recipe == "config":
            workers = rng.choice((6, 8, 10, 12, 16))
            return {"config/production.yaml": {"workers": f"workers: {workers}"}}
        if recipe == "config-break":
            return {
                "config/production.yaml": {"payment_timeout_seconds": "payment_timeout_seconds: 5"}
            }
        if recipe == "config-fix":
            return {
                "config/production.yaml": {
                    "payment_timeout_seconds": "payment_timeout_seconds: 30",
                    "payment_retries": "payment_retries: 2",
                }
            }
        if recipe in ("fix", "tweak") and pull is not None and pull.added and recipe == "tweak":
            path, key = rng.choice(pull.added)
            if key in tree.get(path, {}):
                return {path: {key: function_entry(key, f"{planned.subject.capitalize()}", rng)}}
        if recipe in ("fix", "tweak", "hotfix"):
            existing = sorted(tree.get(source, {}))
            if existing:
                key = rng.choice(existing)
                return {source: {key: function_entry(key, planned.subject.capitalize(), rng)}}
        if recipe == "test":
            targets = pull.added if pull is not None and pull.added else []
            key = rng.choice(targets)[1] if targets else f"{area}_{rng.randint(1, 99)}"
            path = f"tests/{area}/test_service.py"
            return {path: {f"test_{key}": test_entry(key, rng)}}
        if recipe == "docs":
            topic = slug(planned.subject.split(" ", 1)[-1])
            return {f"docs/{area}.md": {topic: f"## {planned.subject}\n\nSee `{source}`."}}
        # add: new functions (and sometimes their tests)
        change = {}
        words = slug(pull.title if pull is not None else planned.subject).split("-")[1:4]
        for _ in range(rng.randint(1, 2)):
            name = f"{rng.choice(VERBS)}_{'_'.join(words)}".replace("3_d", "three_d")
            while name in tree.get(source, {}) or name in change.get(source, {}):
                name += f"_{rng.randint(2, 9)}"
            change.setdefault(source, {})[name] = function_entry(
                name, pull.title if pull else name, rng
            )
            if pull is not None:
                pull.added.append((source, name))
            if rng.random() < 0.4:
                test_path = f"tests/{area}/test_service.py"
                change.setdefault(test_path, {})[f"test_{name}"] = test_entry(name, rng)
        return change

    # -- operations --

    def direct_push(self, planned: PlannedCommit) -> Commit:
        assert self.main_tip is not None or planned.recipe == "initial"
        change = self.make_change(planned, self.main_tree, None)
        parents = [self.main_tip] if self.main_tip is not None else []
        commit, tree = self._from_plan(planned, parents, self.main_tree, change)
        self._push_main(commit, tree, [commit])
        return commit

    def branch_commit(self, pull: PullRequest, planned: PlannedCommit) -> None:
        if pull.tree is None:
            assert self.main_tip is not None
            pull.base_commit, pull.base_tree = self.main_tip, self.main_tree
            pull.tip, pull.tree = self.main_tip, self.main_tree
        assert pull.tree is not None and pull.tip is not None
        change = self.make_change(planned, pull.tree, pull)
        pull.tip, pull.tree = self._from_plan(planned, [pull.tip], pull.tree, change)

    def merge(self, pull: PullRequest) -> None:
        assert pull.ended_at is not None and pull.merger is not None and self.main_tip is not None
        assert pull.tree is not None and pull.base_tree is not None
        branch_commits = [c.commit for c in pull.commits if c.commit is not None]
        at, merger = pull.ended_at, pull.merger
        merger_identity = merger.identity
        if pull.outcome == "rebase":
            for planned, original in zip(pull.commits, branch_commits, strict=True):
                new_tree, _ = apply_change(self.main_tree, original.change)
                commit = self._new_commit(
                    planned.author,
                    original.author,
                    original.authored_at,
                    WEB_FLOW,
                    at,
                    original.message,
                    [self.main_tip],
                    self.main_tree,
                    new_tree,
                    original.change,
                    author_offset=original.author_offset,
                )
                self._push_main(commit, new_tree, [commit])
            pull.merge_commit = self.main_tip
            return
        change = net_change(pull.base_tree, pull.tree)
        new_tree, _ = apply_change(self.main_tree, change)
        if pull.outcome == "squash":
            subjects = [c.subject for c in branch_commits]
            message = f"{pull.title} (#{pull.number})"
            if len(subjects) > 1:
                message += "\n\n" + "\n\n".join(f"* {s}" for s in subjects)
            commit = self._new_commit(
                pull.author, pull.author.identity, at, WEB_FLOW, at, message,
                [self.main_tip], self.main_tree, new_tree, change, author_offset=0,
            )  # fmt: skip
            self._push_main(commit, new_tree, [commit])
        else:
            message = (
                f"Merge pull request #{pull.number} from {OWNER}/{pull.branch}\n\n{pull.title}"
            )
            commit = self._new_commit(
                merger, merger_identity, at, WEB_FLOW, at, message,
                [self.main_tip, branch_commits[-1]], self.main_tree, new_tree, change,
                author_offset=0,
            )  # fmt: skip
            self._push_main(commit, new_tree, [*branch_commits, commit])
        pull.merge_commit = commit

    def deploy(self, deployment: Deployment) -> None:
        assert self.main_tip is not None
        deployment.commit = self.main_tip
        if deployment.production and deployment.succeeded:
            for _, brought in self.mainline[self.shipped_upto :]:
                deployment.shipped += brought
            self.shipped_upto = len(self.mainline)

    def tag(self, release: Release) -> None:
        assert self.main_tip is not None
        release.commit = self.main_tip
        self.tags.append(release)

    def revert(self, incident: Incident) -> None:
        """Revert the latest commit the incident's deployment shipped that can be reverted."""
        assert self.main_tip is not None and incident.fix_at is not None
        candidate = incident.culprit.commit
        assert candidate is not None and candidate in incident.deployment.shipped
        parent_tree = self._tree_before(candidate)
        inverse: Change = {}
        for path, entries in candidate.change.items():
            for key, value in entries.items():
                if self.main_tree.get(path, {}).get(key) == value:
                    inverse.setdefault(path, {})[key] = parent_tree.get(path, {}).get(key)
        if not inverse:
            raise RuntimeError(f"nothing left to revert for {incident.title!r}")
        new_tree, _ = apply_change(self.main_tree, inverse)
        fixer = incident.fix_author
        message = (
            f'Revert "{candidate.subject}"\n\nThis reverts commit {{reverted_sha}}.\n\n'
            f"It broke production: #{incident.number}."
        )
        commit = self._new_commit(
            fixer, fixer.identity, incident.fix_at, fixer.identity,
            incident.fix_at + timedelta(seconds=40), message, [self.main_tip],
            self.main_tree, new_tree, inverse, reverts=candidate,
        )  # fmt: skip
        incident.fix_commit, incident.reverted = commit, candidate
        self._push_main(commit, new_tree, [commit])

    def _tree_before(self, commit: Commit) -> Tree:
        return self.trees[commit.parents[0].mark] if commit.parents else {}

    def fix(self, incident: Incident) -> None:
        assert incident.fix_at is not None
        recipe = "config-fix" if incident.resolution == "fix" else "hotfix"
        planned = PlannedCommit(
            incident.fix_author,
            incident.fix_author.identity,
            incident.fix_at,
            incident.fix_at + timedelta(seconds=25),
            incident.fix_subject,
            recipe,
            "payments",
            body=f"Fixes #{incident.number}.",
        )
        incident.fix_commit = self.direct_push(planned)
        if incident.hotfix is not None:
            incident.hotfix.commit = incident.fix_commit
            self.tags.append(incident.hotfix)

    def run(self) -> None:
        plan = self.plan
        operations: list[tuple[datetime, int, Callable[[], None]]] = []

        def add(moment: datetime, action: Callable[[], None]) -> None:
            operations.append((moment, len(operations), action))

        for planned in [*plan.setup, *plan.pushes]:
            add(planned.committed_at, lambda p=planned: self.direct_push(p))
        for pull in plan.pulls:
            for planned in pull.commits:
                add(planned.committed_at, lambda p=pull, c=planned: self.branch_commit(p, c))
            if pull.merged:
                assert pull.ended_at is not None
                add(pull.ended_at, lambda p=pull: self.merge(p))
        hotfix_tags = {i.hotfix for i in plan.incidents if i.hotfix is not None}
        for release in plan.releases:
            if release not in hotfix_tags:
                add(release.tagged_at, lambda r=release: self.tag(r))
        for deployment in plan.deployments:
            add(deployment.cut_at, lambda d=deployment: self.deploy(d))
        for incident in plan.incidents:
            if incident.resolution == "revert":
                assert incident.fix_at is not None
                add(incident.fix_at, lambda i=incident: self.revert(i))
            elif incident.fix_at is not None:
                add(incident.fix_at, lambda i=incident: self.fix(i))
        heapq.heapify(operations)
        while operations:
            _, _, action = heapq.heappop(operations)
            action()


# --- the repository ---------------------------------------------------------------------------


def _git_environment() -> dict[str, str]:
    """The environment for git: no user or system configuration, no inherited repository."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")
    }
    environment.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    return environment


def git(repository: Path, *args: str) -> str:
    """Run git in ``repository`` and return its output."""
    result = subprocess.run(
        ["git", "-C", str(repository), *args],
        env=_git_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def _signature(identity: tuple[str, str], moment: datetime, offset: int) -> bytes:
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    stamp = f"{int(moment.timestamp())} {sign}{hours:02d}{minutes:02d}"
    return f"{identity[0]} <{identity[1]}> {stamp}".encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _commit_command(commit: Commit) -> bytes:
    parts = [
        b"commit refs/heads/main\n",
        b"mark :%d\n" % commit.mark,
        b"author " + _signature(commit.author, commit.authored_at, commit.author_offset) + b"\n",
        b"committer "
        + _signature(commit.committer, commit.committed_at, commit.committer_offset)
        + b"\n",
        _data(commit.full_message.encode()),
    ]
    for keyword, parent in zip((b"from", b"merge"), commit.parents, strict=False):
        parts.append(b"%s :%d\n" % (keyword, parent.mark))
    for path, content in sorted(commit.files.items()):
        if content is None:
            parts.append(b"D %s\n" % path.encode())
        else:
            parts.append(b"M 100644 inline %s\n" % path.encode() + _data(content))
    parts.append(b"\n")
    return b"".join(parts)


def _final_refs(history: History) -> list[tuple[str, Commit]]:
    """Branches, remote-tracking ``main`` and ``refs/pull/<n>/head`` of every pull request."""
    assert history.main_tip is not None
    refs = [
        ("refs/heads/main", history.main_tip),
        ("refs/remotes/origin/main", history.main_tip),
    ]
    for pull in sorted(history.plan.pulls, key=lambda p: p.number):
        assert pull.tip is not None
        refs.append((f"refs/pull/{pull.number}/head", pull.tip))
        if pull.keep_branch or pull.outcome == "open":
            refs.append((f"refs/heads/{pull.branch}", pull.tip))
    return refs


def fast_import(repository: Path, history: History) -> dict[int, str]:
    """Write every commit, branch and tag with one ``git fast-import`` stream; return the SHA
    of each commit mark. Revert messages name the reverted commit's SHA, asked of fast-import
    with ``get-mark`` while the stream is written."""
    read_end, write_end = os.pipe()
    marks_path = (repository / ".git" / "demo-world.marks").resolve()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            ["git", "-C", str(repository), "fast-import", "--quiet", "--date-format=raw",
             f"--export-marks={marks_path}", f"--cat-blob-fd={write_end}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            pass_fds=(write_end,),
            env=_git_environment(),
        )  # fmt: skip
        os.close(write_end)
        assert process.stdin is not None
        stream = process.stdin
        with os.fdopen(read_end, "rb") as answers:

            def sha_of(commit: Commit) -> str:
                stream.write(b"get-mark :%d\n" % commit.mark)
                stream.flush()
                answer = answers.readline().decode().strip()
                if len(answer) != 40:
                    errors.seek(0)
                    raise RuntimeError(f"git fast-import: {errors.read().decode()}")
                return answer

            try:
                stream.write(b"feature done\n")
                for commit in history.commits:
                    if commit.reverts is not None and not commit.reverts.sha:
                        commit.reverts.sha = sha_of(commit.reverts)
                    stream.write(_commit_command(commit))
                for ref, target in _final_refs(history):
                    stream.write(b"reset %s\nfrom :%d\n\n" % (ref.encode(), target.mark))
                for release in sorted(history.tags, key=lambda r: r.tagged_at):
                    assert release.commit is not None
                    if release.annotated:
                        tagger = release.tagger
                        stream.write(
                            b"tag %s\nfrom :%d\ntagger %s\n"
                            % (
                                release.name.encode(),
                                release.commit.mark,
                                _signature(
                                    tagger.identity,
                                    release.tagged_at,
                                    tagger.zone.offset(release.tagged_at),
                                ),
                            )
                            + _data(f"Release {release.name}\n".encode())
                        )
                    else:
                        stream.write(
                            b"reset refs/tags/%s\nfrom :%d\n\n"
                            % (release.name.encode(), release.commit.mark)
                        )
                stream.write(b"done\n")
                stream.close()
            except BrokenPipeError:
                pass
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise RuntimeError(f"git fast-import failed: {errors.read().decode()}")
    marks = {}
    for line in marks_path.read_text().splitlines():
        mark, sha = line.split()
        marks[int(mark.removeprefix(":"))] = sha
    marks_path.unlink()
    return marks


def build_repository(path: Path, history: History) -> None:
    """A clone-like repository at ``path``: history, origin, ``main`` checked out."""
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    marks = fast_import(path, history)
    for commit in history.commits:
        commit.sha = marks[commit.mark]
    git(path, "config", "remote.origin.url", REMOTE_URL)
    git(path, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
    git(path, "config", "branch.main.remote", "origin")
    git(path, "config", "branch.main.merge", "refs/heads/main")
    git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    git(path, "checkout", "--quiet", "--force", "main")
    git(path, "config", VERSION_CONFIG_KEY, str(GENERATOR_VERSION))


# --- the GitHub world -------------------------------------------------------------------------

LABELS = {
    "bug": ("d73a4a", "Something isn't working"),
    "enhancement": ("a2eeef", "New feature or request"),
    "tech-debt": ("fbca04", "Cleanup and refactoring"),
    "incident": ("b60205", "Production incident"),
    "dependencies": ("0366d6", "Pull requests that update a dependency file"),
    "python": ("2b67c6", "Pull requests that update Python code"),
    **{f"area:{area}": ("c5def5", f"The {area} area") for area in AREAS},
}
WEB_FLOW_USER = {"login": "web-flow", "id": 19864447, "type": "User", "site_admin": False}


def _labels(names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": 7_100_000_000 + sorted(LABELS).index(name),
            "name": name,
            "color": LABELS[name][0],
            "description": LABELS[name][1],
            "default": name in ("bug", "enhancement"),
        }
        for name in names
    ]


def _association(person: Person) -> str:
    return "NONE" if person.is_bot else "MEMBER"


def _pull_json(pull: PullRequest) -> dict[str, Any]:
    assert pull.tip is not None and pull.base_commit is not None
    number = pull.number
    return {
        "url": f"{API_URL}/pulls/{number}",
        "id": 2_100_000_000 + number * 1009,
        "html_url": f"{HTML_URL}/pull/{number}",
        "number": number,
        "state": "open" if pull.outcome == "open" else "closed",
        "locked": False,
        "title": pull.title,
        "user": pull.author.user(),
        "labels": _labels(pull.labels),
        "draft": pull.draft,
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": iso(pull.ended_at),
        "merged_at": iso(pull.ended_at) if pull.merged else None,
        "merge_commit_sha": pull.merge_commit.sha if pull.merge_commit is not None else None,
        "head": {
            "label": f"{OWNER}:{pull.branch}",
            "ref": pull.branch,
            "sha": pull.tip.sha,
            "repo": {"full_name": FULL_NAME},
        },
        "base": {
            "label": f"{OWNER}:main",
            "ref": "main",
            "sha": pull.base_commit.sha,
            "repo": {"full_name": FULL_NAME},
        },
        "author_association": _association(pull.author),
    }


def _pull_issue_json(pull: PullRequest) -> dict[str, Any]:
    number = pull.number
    return {
        "url": f"{API_URL}/issues/{number}",
        "id": 2_600_000_000 + number * 997,
        "html_url": f"{HTML_URL}/pull/{number}",
        "number": number,
        "title": pull.title,
        "user": pull.author.user(),
        "labels": _labels(pull.labels),
        "state": "open" if pull.outcome == "open" else "closed",
        "locked": False,
        "comments": len([r for r in pull.reviews if r.state == "COMMENTED"]),
        "created_at": iso(pull.created_at),
        "updated_at": iso(pull.updated_at),
        "closed_at": iso(pull.ended_at),
        "author_association": _association(pull.author),
        "draft": pull.draft,
        "pull_request": {
            "url": f"{API_URL}/pulls/{number}",
            "html_url": f"{HTML_URL}/pull/{number}",
            "diff_url": f"{HTML_URL}/pull/{number}.diff",
            "patch_url": f"{HTML_URL}/pull/{number}.patch",
            "merged_at": iso(pull.ended_at) if pull.merged else None,
        },
        "state_reason": None if pull.outcome == "open" else "completed",
    }


def _issue_json(
    number: int,
    title: str,
    author: Person,
    labels: Sequence[str],
    created: datetime,
    closed: datetime | None,
    reason: str | None,
    comments: int,
) -> dict[str, Any]:
    return {
        "url": f"{API_URL}/issues/{number}",
        "id": 2_600_000_000 + number * 997,
        "html_url": f"{HTML_URL}/issues/{number}",
        "number": number,
        "title": title,
        "user": author.user(),
        "labels": _labels(labels),
        "state": "closed" if closed else "open",
        "locked": False,
        "comments": comments,
        "created_at": iso(created),
        "updated_at": iso(closed or min(NOW, created + timedelta(minutes=17 * (comments + 1)))),
        "closed_at": iso(closed),
        "author_association": _association(author),
        "state_reason": reason,
    }


def _pull_commit_json(commit: Commit) -> dict[str, Any]:
    web_flow = commit.committer == WEB_FLOW
    return {
        "sha": commit.sha,
        "url": f"{API_URL}/commits/{commit.sha}",
        "html_url": f"{HTML_URL}/commit/{commit.sha}",
        "commit": {
            "author": {
                "name": commit.author[0],
                "email": commit.author[1],
                "date": iso(commit.authored_at),
            },
            "committer": {
                "name": commit.committer[0],
                "email": commit.committer[1],
                "date": iso(commit.committed_at),
            },
            "message": commit.full_message,
        },
        "author": commit.author_person.user(),
        "committer": WEB_FLOW_USER if web_flow else commit.author_person.user(),
        "parents": [{"sha": parent.sha} for parent in commit.parents],
    }


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


def _workflow_runs(plan: Plan, history: History, rng: random.Random) -> list[dict[str, Any]]:
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
                     pull.title, rng.random() < 0.08, created + _minutes(3, 7, rng))
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
                 rng.random() < 0.04, created + _minutes(3, 7, rng))
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


def _deployments(plan: Plan) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
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


def _releases(plan: Plan, rng: random.Random) -> list[dict[str, Any]]:
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
                "published_at": iso(release.tagged_at + _minutes(2, 25, rng)),
                "author": release.tagger.user(),
            }
        )
    return documents


def _reviews(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    everything = [(review, pull) for pull in plan.pulls for review in pull.reviews]
    everything.sort(key=lambda item: (item[0].submitted_at, item[1].number))
    reviews: dict[str, list[dict[str, Any]]] = {}
    for index, (review, pull) in enumerate(everything):
        review_id = 2_400_000_000 + index * 3
        visible = [
            c
            for c in pull.commits
            if c.visible_at is not None and c.visible_at <= review.submitted_at
        ]
        assert visible and visible[-1].commit is not None, pull.title
        reviews.setdefault(str(pull.number), []).append(
            {
                "id": review_id,
                "user": review.reviewer.user(),
                "body": review.body,
                "state": review.state,
                "html_url": f"{HTML_URL}/pull/{pull.number}#pullrequestreview-{review_id}",
                "pull_request_url": f"{API_URL}/pulls/{pull.number}",
                "author_association": _association(review.reviewer),
                "submitted_at": iso(review.submitted_at),
                "commit_id": visible[-1].commit.sha,
            }
        )
    return reviews


def github_world(plan: Plan, history: History) -> dict[str, Any]:
    """The GitHub world JSON of the simulated history."""
    rng = _rng("github")
    pulls = sorted(plan.pulls, key=lambda p: p.number)
    issues = [_pull_issue_json(p) for p in pulls]
    for issue in plan.issues:
        issues.append(
            _issue_json(
                issue.number, issue.title, issue.author, issue.labels, issue.created_at,
                issue.closed_at, issue.state_reason, rng.randint(0, 4),
            )
        )  # fmt: skip
    for incident in plan.incidents:
        issues.append(
            _issue_json(
                incident.number, incident.title, incident.opener, incident.labels,
                incident.opened_at, incident.closed_at, "completed" if incident.closed_at else None,
                rng.randint(3, 12),
            )
        )  # fmt: skip
    issues.sort(key=lambda issue: issue["number"])
    deployments, statuses = _deployments(plan)
    repository = {
        "default_branch": "main",
        "pulls": [_pull_json(p) for p in pulls],
        "reviews": _reviews(plan),
        "pull_commits": {
            str(p.number): [_pull_commit_json(c.commit) for c in p.commits if c.commit]
            for p in pulls
        },
        "issues": issues,
        "releases": _releases(plan, rng),
        "deployments": deployments,
        "deployment_statuses": statuses,
        "workflow_runs": _workflow_runs(plan, history, rng),
    }
    return {
        "now": iso(NOW),
        "generator_version": GENERATOR_VERSION,
        "repositories": {FULL_NAME: repository},
    }


# --- entry points -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoWorld:
    """Where a demo world lives: the git repository and the GitHub world JSON."""

    repository_path: Path
    world_path: Path
    full_name: str = FULL_NAME


def demo_world_paths(root: Path) -> DemoWorld:
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="folder to write the world into")
    parser.add_argument("--overwrite", action="store_true", help="rebuild even when current")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = write_demo_world(args.root, overwrite=args.overwrite)
    elapsed = time.perf_counter() - started
    print(f"demo world: {world.repository_path} and {world.world_path} ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
