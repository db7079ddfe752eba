"""Fixtures of every tier, and each test's tier as a marker taken from its folder.

The tiers: ``tests/unit`` (one part against real local parts: sources against local servers and
git repositories, orchestration pieces), ``tests/dbt`` (the dbt project: manifest rules, lint and
the dbt unit tests), ``tests/e2e`` (whole warehouse builds on DuckDB and Postgres) and
``tests/browser`` (the Dagster UI and the dbt docs site in Chromium). ``make test-fast`` runs the
first two; ``make test`` runs them all.
"""

from pathlib import Path

import pytest

from support.environment import isolate_environment
from support.scheduling import work_unit

TIERS = ("unit", "dbt", "e2e", "browser")
TESTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier (the first folder under ``tests/``) and put the long
    journeys first: the workers take work units in this order, so those start at once and the
    shorter tests fill the other workers meanwhile, instead of one journey running alone at
    the end."""
    for item in items:
        tier = item.path.relative_to(TESTS_DIR).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Give each worker whole work units (:func:`work_unit`), in collection order.

    (``--dist loadgroup`` would do it with marks, but with pytest 9.2 it silently stops
    grouping: pytest-xdist issue 1386.)"""
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the collection order
    return WorkUnitScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def interruptible() -> None:
    """A suite started in the background (SIGINT ignored) would, after its first Dagster run,
    ignore SIGTERM too and pass that on to every server a test starts and stops."""
    from orchestration.run import honour_interrupts

    honour_interrupts()


@pytest.fixture
def tributary_env(monkeypatch, tmp_path):
    """A DuckDB Tributary environment under a temporary data folder."""
    isolate_environment(monkeypatch, tmp_path / "data", "duckdb")
    return tmp_path / "data"
