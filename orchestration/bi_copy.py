"""A read-only copy of the marts for BI tools on a DuckDB warehouse, published after every build.

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
``COPY TO``), no rows pass through Python. On Postgres there is nothing to copy: BI tools read
the marts as a role of their own (:mod:`orchestration.bi_reader_role`).
"""

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.warehouse import DuckDBSettings, data_dir, duckdb_path

BI_SCHEMAS = ("marts",)
"""Schemas BI tools read, on either warehouse. The seeds (``reference``) stay out: the marts
already carry what dashboards show of them (quote assets in ``dim_symbols``, DORA tiers in
``fct_dora_*``)."""
BI_DUCKDB_NAME = "tributary.duckdb"
STORAGE_VERSION = "v1.0.0"
"""DuckDB storage format of the copy: readable by DuckDB 1.0 and later."""
TEMP_DIR = ".publishing"
STALE_TEMP_SECONDS = 3600


def bi_dir() -> Path:
    """Folder of the published copy (``<data>/bi``)."""
    return data_dir() / "bi"


def bi_duckdb_path() -> Path:
    return bi_dir() / BI_DUCKDB_NAME


def bi_parquet_dir() -> Path:
    return bi_dir() / "parquet"


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
    settings = DuckDBSettings.from_env().config()
    with _removing([temp]) as temps, closing(duckdb.connect(config=settings)) as connection:
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
