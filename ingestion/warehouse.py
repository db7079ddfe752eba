"""Where Tributary's warehouse is, for dlt and dbt alike, read from the environment.

``WAREHOUSE`` picks ``duckdb`` (default: one file under the data folder) or ``postgres``
(``POSTGRES_HOST``, ``POSTGRES_PORT``, ``POSTGRES_USER``, ``POSTGRES_PASSWORD``, ``POSTGRES_DB``).
With Postgres chosen and no ``POSTGRES_HOST`` set, :func:`start_local_postgres` starts a private
server under the data folder with pgserver, so a fresh machine needs no set-up.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import dlt
import dlt.common.configuration.exceptions
from dlt.common.destination import Destination
from dlt.common.runtime.collector import LogCollector

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSES = ("duckdb", "postgres")
Kind = Literal["duckdb", "postgres"]


class SettingError(ValueError):
    """A setting that cannot work; the message names it and says what to set instead."""


class WarehouseConfigError(SettingError):
    """A warehouse setting that cannot work; the message says which and what to set."""


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file; the message names it and says what to do."""


def env_name(key: str) -> str:
    """The environment variable of a dlt setting: ``sources.git.repositories`` ->
    ``SOURCES__GIT__REPOSITORIES``."""
    return key.replace(".", "__").upper()


def config_value(key: str, hint: type, example: str | None = None) -> Any:
    """A dlt setting (environment, ``.dlt/config.toml``) as ``hint``, or None when unset.

    A value that does not parse raises :class:`SettingError` naming the variable, the value and
    the expected form (lists and mappings are JSON).
    """
    try:
        return dlt.config.get(key, hint)
    except dlt.common.configuration.exceptions.ConfigValueCannotBeCoercedException:
        variable = env_name(key)
        value = os.environ.get(variable)
        shown = f"{variable}={value!r}" if value is not None else f"{key} (in .dlt/config.toml)"
        expected = {
            list: 'a JSON list, e.g. \'["a","b"]\'',
            dict: "a JSON object, e.g. '{\"name\": {...}}'",
            bool: "true or false",
            int: "a whole number",
            float: "a number",
        }.get(hint, f"a {hint.__name__}")
        if example is not None:
            expected = f"{expected.split(', e.g.')[0]}, e.g. {example}"
        raise SettingError(f"{shown} cannot be read: set it to {expected}") from None


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
        """Keyword arguments of ``psycopg.connect`` / ``psycopg2.connect`` for these settings."""
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
        return dlt.destinations.duckdb(str(path))
    return dlt.destinations.postgres(PostgresSettings.from_env().url())


PROGRESS_SECONDS = "TRIBUTARY_PROGRESS_SECONDS"
"""How often a long load prints a progress line (seconds, default 15; 0 switches it off)."""


class ProgressLine(LogCollector):
    """dlt progress as one line per period: each table's rows and rows per second.

    A step that ends within its first period prints nothing (Dagster logs the step anyway), so a
    short run stays quiet and a long load shows that it moves. Lines go to standard output: the
    console under ``make run``, the run's stdout log in the Dagster UI.
    """

    def __init__(self, pipeline_name: str, log_period: float) -> None:
        super().__init__(log_period=log_period, logger="stdout", dump_system_stats=False)
        self.pipeline_name = pipeline_name
        self.logged = False

    def _start(self, step: str) -> None:
        super()._start(step)
        self.last_log_time = self._clock()  # the first line after one period, not at once
        self.logged = False

    def _stop(self) -> None:
        if self.logged:
            self.on_log()
        self.counters = self.counter_info = self.messages = None  # type: ignore[assignment]
        self.last_log_time = None  # type: ignore[assignment]

    def dump_counters(self) -> None:
        if not self.counters:
            return
        now = self._clock()
        stage = str(self.step or "").split(" ")[0].lower()
        started = min(info.start_time for info in self.counter_info.values())
        parts = []
        for key, count in self.counters.items():
            info = self.counter_info[key]
            if key.startswith("_dlt") or key == "Resources":
                continue
            if key in ("Files", "Jobs"):  # normalize and load count files and load jobs
                parts.append(f"{key.lower()} {count:,}/{info.total or count:,}")
                continue
            elapsed = now - info.start_time
            rate = f" ({count / elapsed:,.0f}/s)" if count >= 1000 and elapsed > 0 else ""
            parts.append(f"{info.description} {count:,} rows{rate}")
        sys.stdout.write(
            f"progress: {self.pipeline_name} {stage} {now - started:.0f} s: {', '.join(parts)}\n"
        )
        sys.stdout.flush()
        self.logged = True


def progress_collector(pipeline_name: str) -> LogCollector | None:
    """The progress display of a load (``TRIBUTARY_PROGRESS_SECONDS``), or None when off."""
    text = os.environ.get(PROGRESS_SECONDS, "15").strip() or "15"
    try:
        seconds = float(text)
    except ValueError:
        raise SettingError(
            f"{PROGRESS_SECONDS}={text!r} is not a number of seconds; set it to e.g. 15, "
            "or 0 to switch progress lines off"
        ) from None
    return ProgressLine(pipeline_name, seconds) if seconds > 0 else None


def dlt_pipeline(source_name: str, dataset_name: str | None = None) -> dlt.Pipeline:
    """The pipeline loading one source into the ``raw_<source>`` dataset of the warehouse (or
    ``dataset_name``).

    Its working folder sits under the data folder, one per warehouse, so runs on DuckDB and on
    Postgres keep separate state.
    """
    kind = warehouse_kind()
    return dlt.pipeline(
        pipeline_name=f"{source_name}_{kind}",
        destination=dlt_destination(),
        dataset_name=dataset_name or f"raw_{source_name}",
        pipelines_dir=str(data_dir() / "dlt" / kind),
        progress=progress_collector(source_name),
    )


LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def describe_process(pid: int) -> str:
    """``process 123 (<command line>)`` as far as /proc tells, for lock messages."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"process {pid}"
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    if len(command) > 120:
        command = command[:117] + "..."
    return f"process {pid} ({command})" if command else f"process {pid}"


def duckdb_lock_message(path: Path, duckdb_error: str) -> str:
    """What to do when another process holds the DuckDB file, from DuckDB's own error."""
    holder = LOCK_HOLDER.search(duckdb_error)
    who = describe_process(int(holder["pid"])) if holder else "another process"
    kill = f" (`kill {holder['pid']}`)" if holder else ""
    return (
        f"the DuckDB file {path} is locked by {who}. DuckDB lets one process write a file, and "
        "no other process may hold it meanwhile, not even read-only. Stop that process"
        f"{kill}: close the notebook, SQL client or BI tool that has the file open, or stop "
        "`make ui` if it is running a job; point BI tools and notebooks at the read-only copy "
        f"under {data_dir() / 'bi'}/ instead. Then run again."
    )


def check_duckdb_writable(path: Path | None = None) -> None:
    """Raise :class:`WarehouseLockedError` when another process holds the DuckDB file.

    Opens (and closes at once) a write connection: the check a run makes before it loads.
    A file that does not exist yet is fine.
    """
    import duckdb

    path = path or duckdb_path()
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        raise WarehouseLockedError(duckdb_lock_message(path, str(error))) from None


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
    folder = data_dir() / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR (cron, CI,
        # containers) that says so on every run, and /tmp serves as well.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver

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
