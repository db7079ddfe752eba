"""An isolated Tributary environment per test: its own data folder, warehouse and demo sources."""

import json
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
TESTS_DBT_DIR = PROJECT_ROOT / "dbt_project" / "target" / "tests"
"""The tests' dbt folders, apart from those of ``make run``."""
DBT_TARGET_DIR = TESTS_DBT_DIR / WORKER
"""This pytest-xdist worker's dbt folders: one target folder per warehouse kind
(``DBT_TARGET_PATH``: the partial parse and each run's dbt folder). One per worker, because dbt
parses the whole project again (about 5 CPU seconds more) whenever the partial parse it finds
was written for another profile or target, such as another worker's warehouse. The manifest
folder inside is shared by the workers (:func:`share_manifest_folder`), so the manifest is
parsed once."""
WAREHOUSE_LINK = DBT_TARGET_DIR / "warehouse"
"""This worker's path to the data folder of its current test (a symbolic link): dbt's profile
names the DuckDB file by this path, the same in every test, so that dbt's partial parsing
carries from one test to the next (the profile is part of what it compares)."""

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
    "TRIBUTARY_DUCKDB_MEMORY_LIMIT",
    "TRIBUTARY_DUCKDB_THREADS",
    "TRIBUTARY_DUCKDB_TEMP_DIRECTORY",
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
    monkeypatch.setenv("DBT_TARGET_PATH", str(DBT_TARGET_DIR / warehouse))
    share_manifest_folder(warehouse)
    if warehouse == "duckdb":
        link_data_folder(data_dir)
        monkeypatch.setenv("TRIBUTARY_DUCKDB_PATH", str(WAREHOUSE_LINK / "tributary.duckdb"))
    for key, value in SMALL_DEMO.items():
        monkeypatch.setenv(key, value)


def share_manifest_folder(warehouse: str) -> None:
    """Make the manifest folder of this worker's dbt target (Tributary's own,
    ``orchestration.dbt_assets.tributary_dbt_project``) a link to one that every worker shares:
    Tributary parses into it one process at a time and moves the manifest into place whole."""
    from orchestration.dbt_assets import tributary_dbt_project

    manifests = tributary_dbt_project().target_path
    if not manifests.is_symlink():
        shared = TESTS_DBT_DIR / "manifests" / warehouse
        shared.mkdir(parents=True, exist_ok=True)
        manifests.parent.mkdir(parents=True, exist_ok=True)
        manifests.symlink_to(shared, target_is_directory=True)


def link_data_folder(data_dir: Path) -> None:
    """Point :data:`WAREHOUSE_LINK` at ``data_dir`` (which Tributary creates when it needs it),
    replacing the link of the worker's previous test in one step. Tributary resolves the link
    where it opens the file itself; DuckDB's write-ahead log lands beside the file, inside
    ``data_dir``."""
    WAREHOUSE_LINK.parent.mkdir(parents=True, exist_ok=True)
    new_link = WAREHOUSE_LINK.with_name(f".{WAREHOUSE_LINK.name}-{os.getpid()}")
    new_link.unlink(missing_ok=True)
    new_link.symlink_to(data_dir.resolve(), target_is_directory=True)
    os.replace(new_link, WAREHOUSE_LINK)


on_each_warehouse = pytest.mark.parametrize(
    "warehouse", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
"""Run the test on DuckDB and on Postgres (``warehouse`` is ``duckdb`` or ``postgres``)."""
