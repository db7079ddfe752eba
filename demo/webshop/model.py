"""The objects of the demo world's plan (pull requests, deployments, releases, incidents,
issues) and the commits the simulation makes from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.webshop.files import Change, Tree
from demo.webshop.people import Person
from demo.webshop.timeline import NOW


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
