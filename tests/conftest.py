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

TIERS = ("unit", "dbt", "e2e", "browser")
TESTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier (the first folder under ``tests/``) and its pytest-xdist
    work unit, then put the long journeys first.

    A work unit (``xdist_group``, with ``--dist loadgroup``) runs on one worker: a test file,
    whose tests share module fixtures, or in the end-to-end tier, where most tests build their
    own warehouse, one test (one class where a class shares a warehouse; a module whose tests
    share one names its group itself). The workers take units in this order, so
    the journeys marked ``long`` start at once and shorter tests fill the other worker
    meanwhile, instead of one journey running alone at the end."""
    for item in items:
        tier = item.path.relative_to(TESTS_DIR).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
        group = work_unit(item, tier)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def work_unit(item: pytest.Item, tier: str) -> str | None:
    """The group of tests that must run on one worker with ``item``: its file, or in
    ``tests/e2e`` its class; None for an end-to-end test that is a work unit alone."""
    if tier != "e2e":
        return item.path.relative_to(TESTS_DIR).as_posix()
    return item.nodeid.rsplit("::", 1)[0] if item.cls is not None else None


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
