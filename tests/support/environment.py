"""An isolated Tributary environment per test: its own data folder, warehouse and demo sources."""

import json
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_TARGET_DIR = PROJECT_ROOT / "dbt_project" / "target" / "tests"
"""dbt's target folder for the tests (``DBT_TARGET_PATH``), apart from the one of ``make run``:
the manifest, its partial parse and each run's dbt folder. pytest-xdist workers share it: the
manifest is parsed by one process at a time and moved into place whole."""

# Everything apply_local_defaults() or the local Postgres may set: each test gets its own values,
# and monkeypatch restores them afterwards.
ENV_KEYS = (
    "WAREHOUSE",
    "TRIBUTARY_DATA_DIR",
    "TRIBUTARY_DUCKDB_PATH",
    "DAGSTER_HOME",
    "SOURCES__EXCHANGE__ARCHIVE_BASE_URL",
    "SOURCES__EXCHANGE__SPOT_API_URL",
    "SOURCES__EXCHANGE__USDM_API_URL",
    "SOURCES__EXCHANGE__MARKETS",
    "SOURCES__EXCHANGE__SYMBOLS",
    "SOURCES__EXCHANGE__INTERVALS",
    "SOURCES__EXCHANGE__START_DATE",
    "SOURCES__EXCHANGE__END_DATE",
    "SOURCES__EXCHANGE__CCXT_EXCHANGES",
    "SOURCES__GIT__REPOSITORIES",
    "SOURCES__GIT__REPOSITORY_ROOTS",
    "SOURCES__GITHUB__REPOSITORIES",
    "SOURCES__GITHUB__BASE_URL",
    "SOURCES__GITHUB__ACCESS_TOKEN",
    "SOURCES__GITHUB__START_DATE",
    "GITHUB_TOKEN",
    "DBT_TARGET_PATH",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
)

SMALL_DEMO = {
    "SOURCES__EXCHANGE__SYMBOLS": json.dumps(["BTCUSDT", "SOLUSDT"]),
    "SOURCES__EXCHANGE__START_DATE": "2025-02-01",
}
"""Two symbols (one with quiet minutes) in both markets (spot files in microseconds, futures in
milliseconds) from February to the demo's "now": a monthly file, two daily files and the REST
tail of each series."""


def isolate_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path, warehouse: str) -> None:
    """Point every Tributary setting at ``data_dir`` with the small demo configuration."""
    monkeypatch.setenv("PATH", os.environ["PATH"])  # apply_local_defaults may extend it
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WAREHOUSE", warehouse)
    monkeypatch.setenv("TRIBUTARY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(data_dir / "dagster"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(DBT_TARGET_DIR))
    for key, value in SMALL_DEMO.items():
        monkeypatch.setenv(key, value)


on_each_warehouse = pytest.mark.parametrize(
    "warehouse", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
"""Run the test on DuckDB and on Postgres (``warehouse`` is ``duckdb`` or ``postgres``)."""
