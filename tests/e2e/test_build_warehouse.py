"""The whole chain, as `make run` runs it: dlt loads and dbt build through Dagster, on DuckDB and on
a real Postgres (pgserver), twice, with the numbers checked against the sources themselves."""

import io
import zipfile
from pathlib import Path

import pytest
from dagster import DagsterInstance

from orchestration.run import build_warehouse
from orchestration.summary import table_row_counts, warehouse_cursor

from conftest import isolate_environment, project_commit_count

MARTS = (
    "marts.dim_repositories",
    "marts.dim_symbols",
    "marts.fct_commits",
    "marts.fct_market_daily",
    "marts.fct_repository_daily_commits",
)


def mirror_candle_count(mirror: Path) -> int:
    """Candles in the generated archive, counted from the CSV lines inside its zips."""
    total = 0
    for path in mirror.rglob("*.zip"):
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            lines = io.TextIOWrapper(archive.open(member)).readlines()
        total += sum(1 for line in lines if line[:1].isdigit())
    return total


def scalar(sql: str) -> object:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "warehouse", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_build_twice_gives_the_same_complete_warehouse(warehouse, monkeypatch, tmp_path):
    data_dir = tmp_path / "data"
    isolate_environment(monkeypatch, data_dir, warehouse)
    instance = DagsterInstance.ephemeral()

    first = build_warehouse(instance)
    assert first.success
    counts = table_row_counts()
    assert set(MARTS) <= set(counts)
    assert all(counts[mart] > 0 for mart in MARTS), counts

    # Every candle of the mirror is loaded once; every reachable commit of this checkout too.
    candles = mirror_candle_count(data_dir / "mirror")
    assert counts["raw_exchange.klines"] == candles
    assert counts["raw_git.commits"] == project_commit_count()
    assert counts["marts.fct_commits"] == project_commit_count()
    # Two symbols over December and January: 62 UTC days each, one row per day.
    assert counts["marts.fct_market_daily"] == 2 * 62
    assert scalar("select sum(candle_count) from marts.fct_market_daily") == candles
    # Days in the maintenance window (2025-01-15, 90 minutes) are not complete.
    assert (
        scalar(
            "select count(*) from marts.fct_market_daily "
            "where trading_date = date '2025-01-15' and not is_complete and candle_count <= 1350"
        )
        == 2
    )

    second = build_warehouse(instance)
    assert second.success
    assert table_row_counts() == counts
