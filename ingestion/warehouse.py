"""Where Tributary's warehouse is, for dlt and dbt alike, read from the environment: the dlt
destination, the pipeline of each source, and a cursor on the warehouse.

``WAREHOUSE`` picks ``duckdb`` (default: one file under the data folder) or ``postgres``
(``POSTGRES_HOST``, ``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD``, ``POSTGRES_DB``).
With Postgres chosen and no ``POSTGRES_HOST`` set, :mod:`ingestion.local_postgres` starts a
private server under the data folder, so a fresh machine needs no set-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import dlt
import duckdb
from dlt.common.destination import Destination, TDestinationReferenceArg
from dlt.common.runtime.collector import LogCollector
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion.errors import WarehouseConfigError
from ingestion.progress import progress_collector
from ingestion.settings import env_name
from ingestion.telemetry import switch_off_telemetry

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSES = ("duckdb", "postgres")
Kind = Literal["duckdb", "postgres"]


def warehouse_kind() -> Kind:
    kind = os.environ.get("WAREHOUSE", "duckdb").strip().lower()
    if kind not in WAREHOUSES:
        raise WarehouseConfigError(
            f"WAREHOUSE={kind!r} is not supported; set WAREHOUSE to one of {', '.join(WAREHOUSES)}"
        )
    return kind  # type: ignore[return-value]


def data_dir() -> Path:
    """Folder for everything a run writes (``TRIBUTARY_DATA_DIR``, default ``./data``)."""
    return Path(os.environ.get("TRIBUTARY_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def duckdb_path() -> Path:
    """The DuckDB file (``TRIBUTARY_DUCKDB_PATH``, default ``<data>/tributary.duckdb``).

    dbt-duckdb names the database after the file's stem, so keep the stem ``tributary``.
    """
    return Path(os.environ.get("TRIBUTARY_DUCKDB_PATH", data_dir() / "tributary.duckdb")).resolve()


DUCKDB_MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit unless set: past it, joins, sorts and aggregates spill to its temp folder
instead of growing (DuckDB's own default is 80% of the machine's memory)."""


@dataclass(frozen=True)
class DuckDBSettings:
    """What each DuckDB connection may use, dlt's, dbt's and Tributary's own alike: its memory
    limit (``TRIBUTARY_DUCKDB_MEMORY_LIMIT``, default :data:`DUCKDB_MEMORY_LIMIT`), its worker
    threads (``TRIBUTARY_DUCKDB_THREADS``, default one per core) and the folder it spills to
    (``TRIBUTARY_DUCKDB_TEMP_DIRECTORY``, default ``<the DuckDB file>.tmp``, as DuckDB's own).

    ``profiles.yml`` reads the same variables, and ``apply_local_defaults``
    (:mod:`orchestration.environment`) sets the first two for the dbt that Tributary runs."""

    memory_limit: str
    threads: int
    temp_directory: Path

    @classmethod
    def from_env(cls) -> DuckDBSettings:
        threads = os.environ.get("TRIBUTARY_DUCKDB_THREADS")
        # Named after the DuckDB file as given (a link stays a link), as profiles.yml names it.
        database = Path(os.environ.get("TRIBUTARY_DUCKDB_PATH") or duckdb_path()).absolute()
        return cls(
            memory_limit=os.environ.get("TRIBUTARY_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT,
            threads=int(threads) if threads else os.cpu_count() or 1,
            temp_directory=Path(
                os.environ.get("TRIBUTARY_DUCKDB_TEMP_DIRECTORY") or f"{database}.tmp"
            ),
        )

    def config(self) -> dict[str, str]:
        """The settings as ``duckdb.connect(config=...)`` takes them."""
        return {
            "memory_limit": self.memory_limit,
            "threads": str(self.threads),
            "temp_directory": str(self.temp_directory),
        }


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_env(cls) -> PostgresSettings:
        host = os.environ.get("POSTGRES_HOST")
        if not host:
            raise WarehouseConfigError(
                "WAREHOUSE=postgres needs POSTGRES_HOST (a host name, or the folder of a Unix "
                "socket); leave it unset under `make run` to get a local server"
            )
        port = os.environ.get("POSTGRES_PORT", "5432").strip()
        if not port.isdigit():
            raise WarehouseConfigError(
                f"POSTGRES_PORT={port!r} is not a port number; set it to your server's port "
                "(5432 by default) or leave it unset"
            )
        return cls(
            host=host,
            port=int(port),
            user=os.environ.get("POSTGRES_USER", "postgres"),
            password=os.environ.get("POSTGRES_PASSWORD", ""),
            database=os.environ.get("POSTGRES_DB", "postgres"),
        )

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments of ``psycopg2.connect`` (libpq) for these settings."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.database,
        }

    def url(self) -> str:
        """A libpq URL; a socket folder goes into ``?host=`` (dlt rejects it in the netloc)."""
        auth = f"{quote(self.user)}:{quote(self.password)}"
        if self.host.startswith("/"):
            return (
                f"postgresql://{auth}@localhost:{self.port}/{self.database}?host={quote(self.host)}"
            )
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"


def dlt_destination() -> Destination[Any, Any]:
    """The dlt destination for the configured warehouse."""
    if warehouse_kind() == "duckdb":
        path = duckdb_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        credentials = DuckDbCredentials(str(path), global_config=DuckDBSettings.from_env().config())
        return dlt.destinations.duckdb(credentials)
    return dlt.destinations.postgres(PostgresSettings.from_env().url())


LOAD_ID_SETTING = "normalize.parquet_normalizer.add_dlt_load_id"
"""dlt's setting that gives Arrow tables its load id column (``_dlt_load_id``) too."""


def make_pipeline(
    pipeline_name: str,
    destination: TDestinationReferenceArg,
    dataset_name: str,
    pipelines_dir: str | Path,
    progress: LogCollector | None = None,
) -> dlt.Pipeline:
    """A dlt pipeline as every Tributary load needs it: telemetry off, and dlt's load id on
    every row, Arrow tables included.

    dlt adds ``_dlt_load_id`` to rows it normalizes from dicts, but to Arrow tables only with
    ``normalize.parquet_normalizer.add_dlt_load_id``. The sources yield Arrow, and dbt reads the
    load id: ``fct_candles`` builds incrementally from the loads after its watermark, and the
    market models tell a file's current version from its superseded ones by it. The setting is
    made for this pipeline only (dlt reads
    ``<PIPELINE_NAME>__NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID`` before the unscoped
    variable), unless the environment sets it.
    """
    switch_off_telemetry()
    os.environ.setdefault(env_name(f"{pipeline_name}.{LOAD_ID_SETTING}"), "true")
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir),
        progress=progress,
    )


def dlt_pipeline(source_name: str, dataset_name: str | None = None) -> dlt.Pipeline:
    """The pipeline loading one source into the ``raw_<source>`` dataset of the warehouse (or
    ``dataset_name``).

    Its working folder sits under the data folder, one per warehouse, so runs on DuckDB and on
    Postgres keep separate state.
    """
    kind = warehouse_kind()
    return make_pipeline(
        pipeline_name=f"{source_name}_{kind}",
        destination=dlt_destination(),
        dataset_name=dataset_name or f"raw_{source_name}",
        pipelines_dir=data_dir() / "dlt" / kind,
        progress=progress_collector(source_name),
    )


@contextmanager
def warehouse_cursor() -> Iterator[Any]:
    """A DB-API cursor on the configured warehouse (read-only on DuckDB)."""
    if warehouse_kind() == "duckdb":
        settings = DuckDBSettings.from_env().config()
        with closing(duckdb.connect(str(duckdb_path()), True, settings)) as connection:
            yield connection.cursor()
        return
    import psycopg2

    settings = PostgresSettings.from_env()
    with closing(psycopg2.connect(**settings.connect_args())) as connection:
        yield connection.cursor()
