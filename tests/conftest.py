"""Shared fixtures: an isolated Tributary environment per test (data folder, warehouse, sources)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

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
    for key, value in SMALL_DEMO.items():
        monkeypatch.setenv(key, value)


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


def commit_count(repository: Path = PROJECT_ROOT) -> int:
    """Commits reachable from HEAD, branches and tags of ``repository``, counted by git itself."""
    output = subprocess.run(
        ["git", "-C", str(repository), "rev-list", "--count", "HEAD", "--branches", "--tags"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(output.stdout)


def build_with_walk(target: str, *selectors: str) -> None:
    """``dbt build`` of ``selectors`` as Dagster runs it: the models upstream of the
    commit-graph walk, the walk, then the models downstream of it."""
    from ingestion.git.shipped_commits import DATASET, load_deployment_commits
    from ingestion.warehouse import dlt_pipeline
    from orchestration.dbt_assets import WALK_DOWNSTREAM

    options = ("--exclude-resource-type", "unit_test")
    run_dbt(target, "build", "--select", *selectors, "--exclude", WALK_DOWNSTREAM, *options)
    load_deployment_commits(dlt_pipeline(DATASET, DATASET))
    downstream = [f"{selector},{WALK_DOWNSTREAM}" for selector in selectors]
    run_dbt(target, "build", "--select", *downstream, *options)


def run_dbt(target: str, *args: str) -> None:
    """Run the dbt CLI on the test's warehouse, with its own target folder."""
    from orchestration.dbt_assets import tributary_dbt_project

    project = tributary_dbt_project()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(PROJECT_ROOT),
            "--target",
            target,
            "--target-path",
            str(project.project_dir / "target" / f"{target}_tests"),
            "--quiet",
        ],
        env={**os.environ, "DO_NOT_TRACK": "1"},
        check=True,
    )


def rounded_rows(sql: str) -> list[tuple]:
    """Rows with numbers as floats rounded to 6 places (Postgres answers numerics as Decimal)."""
    from decimal import Decimal

    from ingestion.warehouse import warehouse_cursor

    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return [
            tuple(
                round(float(value), 6) if isinstance(value, Decimal | float) else value
                for value in row
            )
            for row in cursor.fetchall()
        ]


def mart_content_hashes(ignore: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Per table of ``marts``: its row count and a hash of its content that does not depend on
    row order and sees every bit of every value (doubles included); columns named in ``ignore``
    (e.g. ``latest_load_id``, which differs between two loads of the same data) are left out."""
    from ingestion.warehouse import warehouse_cursor, warehouse_kind

    with warehouse_cursor() as cursor:
        cursor.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name in (select table_name from "
            "information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE') "
            "order by table_name, ordinal_position"
        )
        columns: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, [])
            if column not in ignore:
                columns[table].append(f'"{column}"')
        hashes = {}
        for table, kept in columns.items():
            values = ", ".join(kept)
            row_hash = (
                f"cast(hash({values}) as hugeint)"
                if warehouse_kind() == "duckdb"
                else f"('x' || substr(md5(row({values})::text), 1, 16))::bit(64)::bigint"
            )
            cursor.execute(f"select count(*), cast(sum({row_hash}) as text) from marts.{table}")
            count, digest = cursor.fetchone()
            hashes[table] = (int(count), str(digest))
    return hashes
