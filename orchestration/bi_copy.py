"""A read-only copy of the marts for BI tools, published after every successful build.

DuckDB takes one writer and locks every other process out of the file while it writes, so BI tools
(Metabase, Superset, Evidence, Tableau, notebooks) never open the warehouse itself. After the marts
are built, :func:`publish_bi_copy` copies every table of the ``marts`` schema into

- ``data/bi/tributary.duckdb``: one DuckDB file, schema ``marts``, a consistent snapshot of one
  build. It is named like the warehouse so that the same SQL, down to
  ``tributary.marts.fct_candles``, runs on both (a file named ``marts.duckdb`` would make
  ``marts.fct_candles`` ambiguous: catalog ``marts`` or schema ``marts``). It is written in
  DuckDB's 1.0 storage format, which every DuckDB since 1.0 reads (BI drivers bundle older
  DuckDB versions than this project).
- ``data/bi/parquet/<table>.parquet``: one Parquet file per mart, for tools that read files.

Each file is written under a temporary name in ``data/bi/.publishing/`` (the same file system)
and then moved over the old one with :func:`os.replace` (an atomic rename): a reader opens either
the old or the new file, never a half-written one, and a reader that holds the old file keeps
reading it. The Parquet files are renamed one after the other once all are written, so for an
instant they may mix two builds; the DuckDB file is the consistent snapshot.

The copy is made by DuckDB itself (``ATTACH`` the warehouse read-only, ``CREATE TABLE AS``,
``COPY TO``), no rows pass through Python. On Postgres there is nothing to copy: readers use the
``bi_reader`` role, which dbt creates and grants ``select`` on the marts (``macros/bi_reader.sql``);
the asset sets its password (``BI_READER_PASSWORD``, kept out of dbt's logs) and verifies that it
reads every mart and no other schema.
"""

import os
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from ingestion.warehouse import PostgresSettings, data_dir, duckdb_path, warehouse_kind
from orchestration.dlt_assets import WAREHOUSE_POOL

BI_COPY_KEY = AssetKey(["bi", "marts_copy"])
BI_SCHEMAS = ("marts",)
"""Schemas BI tools read. The seeds (``reference``) stay out: the marts already carry what
dashboards show of them (quote assets in ``dim_symbols``, DORA tiers in ``fct_dora_*``)."""
BI_DUCKDB_NAME = "tributary.duckdb"
STORAGE_VERSION = "v1.0.0"
"""DuckDB storage format of the copy: readable by DuckDB 1.0 and later."""
TEMP_DIR = ".publishing"
STALE_TEMP_SECONDS = 3600
DEFAULT_BI_READER_ROLE = "bi_reader"
PRIVATE_SCHEMAS = (
    "raw_exchange",
    "raw_git",
    "raw_github",
    "commit_graph",
    "staging",
    "intermediate",
    "reference",
)
"""Schemas the BI role must not see."""


def bi_dir() -> Path:
    """Folder of the published copy (``<data>/bi``)."""
    return data_dir() / "bi"


def bi_duckdb_path() -> Path:
    return bi_dir() / BI_DUCKDB_NAME


def bi_parquet_dir() -> Path:
    return bi_dir() / "parquet"


def bi_reader_role() -> str:
    """The Postgres role of BI tools (``BI_READER_ROLE``; empty turns the BI grants off)."""
    return os.environ.get("BI_READER_ROLE", DEFAULT_BI_READER_ROLE)


@dataclass
class PublishedCopy:
    """What one publication wrote."""

    path: Path
    parquet_dir: Path | None
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0


def _literal(value: str) -> str:
    """A SQL string literal (DuckDB's ATTACH and COPY take no bound parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _temp_path(folder: Path, name: str) -> Path:
    """A temporary name beside the published files (so that the rename stays on one file
    system), in a folder of its own: readers listing ``parquet/*.parquet`` never see it."""
    temp_dir = folder / TEMP_DIR
    temp_dir.mkdir(parents=True, exist_ok=True)
    return temp_dir / f"{uuid.uuid4().hex}-{name}"


def _remove_stale_temps(folder: Path) -> None:
    """Remove what publications killed halfway left behind (not those of a running one)."""
    temp_dir = folder / TEMP_DIR
    if not temp_dir.is_dir():
        return
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in temp_dir.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


@contextmanager
def _removing(paths: list[Path]) -> Iterator[list[Path]]:
    """Remove whichever of ``paths`` still exist when the block ends (a failed publication)."""
    try:
        yield paths
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)


def bi_tables(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """``(schema, table)`` of every table and view BI tools read in ``catalog``, without dbt's
    leftovers of an interrupted build."""
    placeholders = ", ".join("?" for _ in BI_SCHEMAS)
    found = connection.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({placeholders}) "
        "order by table_schema, table_name",
        [catalog, *BI_SCHEMAS],
    ).fetchall()
    return [
        (schema, table)
        for schema, table in found
        if not table.endswith(("__dbt_tmp", "__dbt_backup")) and not table.startswith("_dlt_")
    ]


def publish_bi_copy(
    warehouse: Path | None = None, target: Path | None = None, parquet: bool = True
) -> PublishedCopy:
    """Copy the marts of the DuckDB ``warehouse`` into ``target`` (a DuckDB file) and, with
    ``parquet``, one Parquet file per table beside it; atomically replace the previous copy."""
    warehouse = warehouse or duckdb_path()
    target = target or bi_duckdb_path()
    parquet_dir = target.parent / "parquet" if parquet else None
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target.parent)
    if parquet_dir is not None:
        parquet_dir.mkdir(exist_ok=True)
    temp = _temp_path(target.parent, target.name)
    copy = PublishedCopy(path=target, parquet_dir=parquet_dir)
    # The warehouse keeps its own catalog name (its file's stem), which its views refer to.
    source = _identifier(warehouse.stem)
    with _removing([temp]) as temps, closing(duckdb.connect()) as connection:
        connection.execute(f"attach {_literal(str(warehouse))} as {source} (read_only)")
        connection.execute(
            f"attach {_literal(str(temp))} as bi_copy (storage_version {_literal(STORAGE_VERSION)})"
        )
        tables = bi_tables(connection, warehouse.stem)
        for schema in sorted({schema for schema, _ in tables}):
            connection.execute(f"create schema bi_copy.{_identifier(schema)}")
        parquet_files: list[tuple[Path, Path]] = []
        for schema, table in tables:
            name = f"{_identifier(schema)}.{_identifier(table)}"
            connection.execute(f"create table bi_copy.{name} as select * from {source}.{name}")
            copy.rows[f"{schema}.{table}"] = connection.execute(
                f"select count(*) from bi_copy.{name}"
            ).fetchone()[0]
            if parquet_dir is not None:
                file_name = table if schema == "marts" else f"{schema}.{table}"
                final = parquet_dir / f"{file_name}.parquet"
                temp_parquet = _temp_path(target.parent, f"parquet-{final.name}")
                temps.append(temp_parquet)
                connection.execute(
                    f"copy bi_copy.{name} to {_literal(str(temp_parquet))} "
                    "(format parquet, compression zstd)"
                )
                parquet_files.append((temp_parquet, final))
        # Detaching checkpoints and closes the copy: complete on disk, nothing left in a WAL.
        connection.execute("detach bi_copy")
        connection.execute(f"detach {source}")
        os.replace(temp, target)
        for written, final in parquet_files:
            os.replace(written, final)
        if parquet_dir is not None:
            _remove_dropped_tables(parquet_dir, {final for _, final in parquet_files})
    copy.bytes = target.stat().st_size + sum(final.stat().st_size for _, final in parquet_files)
    copy.seconds = time.perf_counter() - started
    return copy


def _remove_dropped_tables(parquet_dir: Path, published: set[Path]) -> None:
    """Parquet files of marts that no longer exist would show stale data: remove them."""
    for path in parquet_dir.glob("*.parquet"):
        if path not in published:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class BiReaderAccess:
    """What the BI role of a Postgres warehouse can read."""

    role: str
    url: str
    readable_marts: list[str]
    unreadable_marts: list[str]
    visible_private_schemas: list[str]


def bi_reader_url(settings: PostgresSettings, role: str) -> str:
    """The libpq URL a BI tool connects with (the password goes into the tool's own settings)."""
    url = PostgresSettings(settings.host, settings.port, role, "", settings.database).url()
    return url.replace(f"{quote(role)}:@", f"{quote(role)}@", 1)


def ensure_bi_reader_access(role: str | None = None) -> BiReaderAccess:
    """Set the BI role's password from ``BI_READER_PASSWORD`` (when given) and report what the
    role can read. dbt creates the role and grants it the marts (``macros/bi_reader.sql``)."""
    import psycopg
    from psycopg import sql

    role = role if role is not None else bi_reader_role()
    settings = PostgresSettings.from_env()
    password = os.environ.get("BI_READER_PASSWORD")
    with psycopg.connect(
        **settings.connect_args(),
        autocommit=True,
    ) as connection:
        exists = connection.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
        if not exists:
            raise RuntimeError(
                f"Postgres role {role!r} does not exist: dbt's on-run-start hook creates it; run "
                "`dbt build` (or set BI_READER_ROLE to an existing role)"
            )
        if password:
            connection.execute(
                sql.SQL("alter role {} with login password {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        marts = connection.execute(
            "select table_schema || '.' || table_name, "
            "has_table_privilege(%s, quote_ident(table_schema) || '.' || quote_ident(table_name),"
            " 'select') and has_schema_privilege(%s, table_schema, 'usage') "
            "from information_schema.tables where table_schema = any(%s) order by 1",
            [role, role, list(BI_SCHEMAS)],
        ).fetchall()
        private = connection.execute(
            "select nspname from pg_namespace "
            "where nspname = any(%s) and has_schema_privilege(%s, nspname, 'usage') order by 1",
            [list(PRIVATE_SCHEMAS), role],
        ).fetchall()
    return BiReaderAccess(
        role=role,
        url=bi_reader_url(settings, role),
        readable_marts=[table for table, readable in marts if readable],
        unreadable_marts=[table for table, readable in marts if not readable],
        visible_private_schemas=[schema for (schema,) in private],
    )


def mart_keys(dbt: AssetsDefinition | Iterable[AssetKey]) -> list[AssetKey]:
    """The keys of the marts among ``dbt``'s assets (first key part ``marts``)."""
    keys = dbt.keys if isinstance(dbt, AssetsDefinition) else dbt
    return sorted((key for key in keys if key.path[0] in BI_SCHEMAS), key=lambda k: k.path)


def build_bi_copy_asset(dbt: AssetsDefinition | Iterable[AssetKey]) -> AssetsDefinition:
    """The asset that publishes the marts to BI tools, downstream of every mart in ``dbt``.

    Every job that builds a mart therefore publishes after it, and only when the build
    succeeded (a failed step skips what is downstream of it). It writes the warehouse's
    neighbourhood, not the warehouse, but reads the DuckDB file, so it joins the writers' pool:
    it must not open the file while another step writes it.
    """
    kind = warehouse_kind()

    @asset(
        key=BI_COPY_KEY,
        group_name="bi",
        deps=mart_keys(dbt),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "parquet"} if kind == "duckdb" else {"postgres"},
        description="What BI tools read: on DuckDB a read-only copy of the marts "
        "(data/bi/tributary.duckdb and data/bi/parquet/), atomically replaced after every "
        "successful build; on Postgres the bi_reader role's access to the marts, verified.",
    )
    def marts_copy(context: AssetExecutionContext) -> MaterializeResult:
        if warehouse_kind() == "postgres":
            return _verify_postgres_reader(context)
        context.log.info("Publishing the marts to the BI copy")
        copy = publish_bi_copy()
        context.log.info(f"Published {len(copy.rows)} marts to {copy.path} in {copy.seconds:.2f} s")
        return MaterializeResult(
            metadata={
                "path": str(copy.path),
                "parquet_dir": str(copy.parquet_dir),
                "tables": sorted(copy.rows),
                "rows": sum(copy.rows.values()),
                "bytes": copy.bytes,
                "seconds": round(copy.seconds, 3),
            }
        )

    return marts_copy


def _verify_postgres_reader(context: AssetExecutionContext) -> MaterializeResult:
    """On Postgres: the BI role reads every mart and nothing else, or the asset fails."""
    started = time.perf_counter()
    role = bi_reader_role()
    if not role:
        context.log.info("BI_READER_ROLE is empty: no BI role on this warehouse")
        return MaterializeResult(metadata={"role": "", "seconds": 0.0})
    access = ensure_bi_reader_access(role)
    problems = []
    if access.unreadable_marts:
        problems.append(f"cannot read {', '.join(access.unreadable_marts)}")
    if access.visible_private_schemas:
        problems.append(f"can use schemas {', '.join(access.visible_private_schemas)}")
    if problems:
        raise RuntimeError(f"BI role {role!r} " + "; ".join(problems))
    metadata: dict[str, Any] = {
        "role": role,
        "connection": access.url,
        "tables": access.readable_marts,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return MaterializeResult(metadata=metadata)
