"""The people of the demo world: developers, a product manager and bots, with their git
identities, GitHub accounts, time zones and working hours."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from demo.webshop.timeline import activity, some_minutes


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


def working_time(person: Person, instant: datetime, rng: random.Random) -> datetime:
    """``instant`` when it falls in the person's working hours, else a few minutes into their
    next working day."""
    wall = person.local(instant)
    start, end = person.hours
    hour = wall.hour + wall.minute / 60
    if wall.weekday() < 5 and start <= hour < end:
        return instant.replace(microsecond=0)
    day = wall.date() if wall.weekday() < 5 and hour < start else wall.date() + timedelta(days=1)
    while day.weekday() >= 5 or (activity(day) < 1 and rng.random() < 0.7):
        day += timedelta(days=1)
    wall_start = datetime.combine(day, clock()) + timedelta(hours=start)
    return person.at_local(wall_start) + some_minutes(2, 75, rng)


def at_work(person: Person, day: date, rng: random.Random) -> datetime:
    """A random moment of ``day`` in the person's working hours."""
    start, end = person.hours
    wall = datetime.combine(day, clock()) + timedelta(hours=rng.uniform(start, end - 0.5))
    return person.at_local(wall.replace(microsecond=0))
