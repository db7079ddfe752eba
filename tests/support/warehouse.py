"""dbt runs and warehouse queries of the end-to-end tests."""

import os
import subprocess
import sys
from pathlib import Path

from support.environment import DBT_TARGET_DIR, PROJECT_ROOT


def dbt_cli_target(target: str) -> Path:
    """The target folder of the dbt CLI runs of this pytest-xdist worker on ``target``: two
    dbt processes must not write one folder at once."""
    return DBT_TARGET_DIR / "cli" / target


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
            str(dbt_cli_target(target)),
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
