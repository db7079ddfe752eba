"""Where Tributary's warehouse is, for dlt and dbt alike, read from the environment.

``WAREHOUSE`` picks ``duckdb`` (default: one file under the data folder) or ``postgres``
(``POSTGRES_HOST``, ``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD``, ``POSTGRES_DB``).
With Postgres chosen and no ``POSTGRES_HOST`` set, :func:`start_local_postgres` starts a private
server under the data folder with pgserver, so a fresh machine needs no set-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import dlt
from dlt.common.destination import Destination

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSES = ("duckdb", "postgres")
Kind = Literal["duckdb", "postgres"]


class WarehouseConfigError(ValueError):
    """A warehouse setting that cannot work; the message says which and what to set."""


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
        return cls(
            host=host,
            port=int(os.environ.get("POSTGRES_PORT", "5432")),
            user=os.environ.get("POSTGRES_USER", "postgres"),
            password=os.environ.get("POSTGRES_PASSWORD", ""),
            database=os.environ.get("POSTGRES_DB", "postgres"),
        )

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
        return dlt.destinations.duckdb(str(path))
    return dlt.destinations.postgres(PostgresSettings.from_env().url())


def dlt_pipeline(source_name: str) -> dlt.Pipeline:
    """The pipeline loading one source into the ``raw_<source>`` dataset of the warehouse.

    Its working folder sits under the data folder, one per warehouse, so runs on DuckDB and on
    Postgres keep separate state.
    """
    kind = warehouse_kind()
    return dlt.pipeline(
        pipeline_name=f"{source_name}_{kind}",
        destination=dlt_destination(),
        dataset_name=f"raw_{source_name}",
        pipelines_dir=str(data_dir() / "dlt" / kind),
    )


_local_postgres: list[Any] = []
"""Handle of the pgserver this process started, kept so that the server outlives the call."""


def ensure_local_postgres() -> None:
    """With ``WAREHOUSE=postgres`` and no ``POSTGRES_HOST``, start the local server once."""
    if warehouse_kind() == "postgres" and not os.environ.get("POSTGRES_HOST"):
        _local_postgres.append(start_local_postgres())


def start_local_postgres() -> Any:
    """Start (or reuse) a Postgres under ``<data>/postgres``; point the environment at it.

    Returns the pgserver handle; the server stops when the last process holding one exits.
    """
    import pgserver

    folder = data_dir() / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(folder)
    info = server.get_postmaster_info()
    os.environ.update(
        POSTGRES_HOST=str(info.socket_dir),
        POSTGRES_PORT=str(info.port or 5432),
        POSTGRES_USER="postgres",
        POSTGRES_PASSWORD="",
        POSTGRES_DB="postgres",
    )
    return server
