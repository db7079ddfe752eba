"""Who changes the code when: developers' pull requests (commits, reviews, how each ends),
dependabot's weekly bumps and direct pushes to ``main``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from demo.webshop.files import AREAS, CHORES, FEATURES, FIXES, PACKAGES, slug
from demo.webshop.model import PlannedCommit, PullRequest, Review
from demo.webshop.people import (
    ALICE,
    BOGDAN,
    BOGDAN_LAPTOP,
    DEPENDABOT,
    DEVELOPERS,
    KENJI,
    LINTER,
    PUSH_RATE,
    WEB_FLOW,
    Person,
    at_work,
    working_time,
)
from demo.webshop.timeline import NOW, activity, some_minutes, working_days


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


def git_identity(person: Person, rng: random.Random) -> tuple[str, str]:
    """The git name and email a person commits under (Bogdan sometimes from his laptop)."""
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
            committed = moment + some_minutes(1, 40, rng)
        return PlannedCommit(
            author, git_identity(author, rng), moment, committed, subject, recipe, area
        )

    first_recipe = "add" if kind == "feature" else "fix" if kind == "fix" else "tweak"
    moment = at_work(author, day, rng)
    commits = [commit_at(moment, first_subject, first_recipe)]
    follow_ups = list(FOLLOW_UPS)
    rng.shuffle(follow_ups)
    for index in range(1, before_open):
        moment = working_time(author, commits[-1].committed_at + some_minutes(15, 300, rng), rng)
        subject, recipe = follow_ups[index % len(follow_ups)]
        commits.append(commit_at(moment, subject.format(area=area, topic=topic), recipe))
    created = working_time(author, commits[-1].committed_at + some_minutes(3, 120, rng), rng)
    for planned in commits:
        planned.visible_at = created

    reviews: list[Review] = []
    if rng.random() < 0.85:
        reviews.append(Review(LINTER, "COMMENTED", created + some_minutes(1.5, 6, rng), "Lint: ok"))
    reviewer, second = _reviewers(author, rng, 2)
    pickup = timedelta(hours=min(72.0, max(0.15, rng.lognormvariate(1.0, 1.1))))
    first_at = working_time(reviewer, created + pickup, rng)
    first_state = rng.choices(("CHANGES_REQUESTED", "COMMENTED", "APPROVED"), (25, 20, 55))[0]
    body = {"APPROVED": "Looks good", "CHANGES_REQUESTED": "Some changes needed"}.get(first_state)
    reviews.append(Review(reviewer, first_state, first_at, body or "A question inline"))
    later = count - before_open + (1 if first_state != "APPROVED" and count == before_open else 0)
    last = first_at
    for index in range(later):
        moment = working_time(author, last + some_minutes(20, 360, rng), rng)
        subject, recipe = follow_ups[(before_open + index) % len(follow_ups)]
        if index == 0 and first_state == "CHANGES_REQUESTED":
            subject, recipe = "address review comments", "tweak"
        planned = commit_at(moment, subject.format(area=area, topic=topic), recipe)
        planned.visible_at = planned.committed_at + some_minutes(0.5, 8, rng)
        commits.append(planned)
        last = planned.visible_at
    if rng.random() < 0.3:
        second_at = working_time(second, created + pickup * 1.5 + some_minutes(20, 600, rng), rng)
        reviews.append(Review(second, rng.choice(("COMMENTED", "APPROVED")), second_at, "Nice"))
    approved_at = first_at
    if first_state != "APPROVED":
        approved_at = working_time(reviewer, last + some_minutes(20, 480, rng), rng)
        reviews.append(Review(reviewer, "APPROVED", approved_at, "Thanks, LGTM"))
    last_event = max([approved_at, last, *(r.submitted_at for r in reviews)])
    merger = author if rng.random() < 0.8 else reviewer
    merged_at = working_time(merger, last_event + some_minutes(4, 180, rng), rng)
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
            created = datetime.combine(monday, clock(5), UTC) + some_minutes(0, 40, rng)
            if created > NOW:
                continue
            previous = pending.pop(package, None)
            if previous is not None and previous.ended_at and previous.ended_at > created:
                previous.outcome, previous.ended_at = "closed", created + some_minutes(0.5, 2, rng)
                previous.reviews = [r for r in previous.reviews if r.submitted_at < created]
            committed = created - some_minutes(0.3, 1, rng)
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
                Review(LINTER, "COMMENTED", created + some_minutes(1.5, 5, rng), "Lint: ok"),
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
                working_time(reviewer, approved + some_minutes(2, 60, rng), rng),
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
    """Commits pushed straight to ``main``, day by day."""
    pushes = []
    for day in working_days(date(2024, 9, 3), NOW.date()):
        for person in DEVELOPERS:
            if rng.random() >= PUSH_RATE[person] * activity(day):
                continue
            area = rng.choice(AREAS)
            subject, recipe = rng.choice(DIRECT_SUBJECTS)
            authored = at_work(person, day, rng)
            committed = authored + (some_minutes(1, 25, rng) if rng.random() < 0.4 else timedelta())
            pushes.append(
                PlannedCommit(
                    person,
                    git_identity(person, rng),
                    authored,
                    committed,
                    subject.format(area=area),
                    recipe,
                    area,
                )
            )
    return pushes
