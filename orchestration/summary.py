"""What a run left in the warehouse: tables of the raw and marts schemas with their row counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import duckdb

from ingestion.warehouse import PostgresSettings, duckdb_path, warehouse_kind

SUMMARY_SCHEMAS = ("raw_exchange", "raw_git", "raw_github", "marts")


@contextmanager
def warehouse_cursor() -> Iterator[Any]:
    """A DB-API cursor on the configured warehouse (read-only on DuckDB)."""
    if warehouse_kind() == "duckdb":
        with closing(duckdb.connect(str(duckdb_path()), read_only=True)) as connection:
            yield connection.cursor()
        return
    import psycopg2

    settings = PostgresSettings.from_env()
    with closing(psycopg2.connect(**settings.connect_args())) as connection:
        yield connection.cursor()


def table_row_counts(schemas: tuple[str, ...] = SUMMARY_SCHEMAS) -> dict[str, int]:
    """``{"schema.table": rows}`` for each base table of ``schemas`` (not dlt's own tables)."""
    placeholders = ", ".join(["%s" if warehouse_kind() == "postgres" else "?"] * len(schemas))
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({placeholders}) and table_type = 'BASE TABLE' "
            "order by table_schema, table_name",
            list(schemas),
        )
        tables = [
            f"{schema}.{table}"
            for schema, table in cursor.fetchall()
            if not table.startswith("_dlt_")
        ]
        counts = {}
        for table in tables:
            cursor.execute(f"select count(*) from {table}")  # names come from the catalog
            counts[table] = int(cursor.fetchone()[0])
    return counts


def empty_mart_reasons() -> list[tuple[str, str, str]]:
    """``(repository, check, reason)`` for each engineering check that found nothing, from
    ``marts.fct_engineering_data_quality``: why a DORA figure or mart is empty."""
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select repository, check_name, reason from marts.fct_engineering_data_quality "
            "where status = 'empty' order by repository, check_name"
        )
        return [
            (str(repository), str(check), str(reason))
            for repository, check, reason in cursor.fetchall()
        ]
