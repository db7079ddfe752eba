"""The demo world's time span, calendar and seeded randomness: every random choice comes from a
generator seeded by what it is for, so the world is the same on every run."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from demo import DEMO_NOW
from demo.webshop import GENERATOR_VERSION

NOW = datetime.fromisoformat(DEMO_NOW)
START = datetime(2024, 9, 2, tzinfo=UTC)


def seed_of(*parts: object) -> int:
    """A random seed from ``parts``, the same on every machine and Python version."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def seeded_random(*parts: object) -> random.Random:
    """The random generator of one part of the world (``parts`` name it), for this version."""
    return random.Random(seed_of("webshop", GENERATOR_VERSION, *parts))


def some_minutes(low: float, high: float, rng: random.Random) -> timedelta:
    """A random duration of ``low`` to ``high`` minutes, in whole seconds."""
    return timedelta(seconds=round(rng.uniform(low, high) * 60))


def activity(day: date) -> float:
    """Share of the usual activity: the team is mostly away over Christmas."""
    return 0.2 if date(2024, 12, 23) <= day <= date(2025, 1, 1) else 1.0


def working_days(start: date, end: date) -> Iterator[date]:
    """The weekdays from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def iso(instant: datetime | None) -> str | None:
    """GitHub's timestamp form (UTC, seconds, ``Z``)."""
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
