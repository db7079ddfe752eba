"""The local defaults of a Tributary run, applied only where the environment says nothing.

Offline by design, online by configuration: with nothing set, the exchange source reads a
generated archive mirror under ``data/mirror`` and the git source reads this checkout. Setting
``SOURCES__EXCHANGE__ARCHIVE_BASE_URL=https://data.binance.vision`` (or any other value) switches
to that location through the very same code path.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import dlt

from ingestion.exchange.defaults import (
    DEFAULT_END_MONTH,
    DEFAULT_MARKETS,
    DEFAULT_START_MONTH,
    DEFAULT_SYMBOLS,
)
from ingestion.exchange.layout import Month
from ingestion.exchange.mirror import write_mirror
from ingestion.warehouse import PROJECT_ROOT, data_dir, duckdb_path

ARCHIVE_BASE_URL = "SOURCES__EXCHANGE__ARCHIVE_BASE_URL"
DAGSTER_YAML = Path(__file__).with_name("dagster.yaml")


def local_mirror_dir() -> Path:
    return data_dir() / "mirror"


def apply_local_defaults() -> None:
    """Fill in what the environment leaves unset: telemetry off, local sources, absolute paths."""
    # dagster-dbt runs `dbt` from PATH: make it the dbt installed beside this interpreter.
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster"))
    os.environ.setdefault("TRIBUTARY_DUCKDB_PATH", str(duckdb_path()))
    os.environ.setdefault(ARCHIVE_BASE_URL, str(local_mirror_dir()))
    os.environ.setdefault("SOURCES__GIT__REPOSITORIES", f'["tributary={PROJECT_ROOT}"]')
    # Completed load packages are of no further use and take ~45 MB per million rows.
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME with Tributary's instance settings (telemetry off, one writer)."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


def _configured(name: str, default: Sequence[str] | str) -> Sequence[str] | str:
    """An exchange-source setting as dlt resolves it (environment, config.toml), or default."""
    value = dlt.config.get(f"sources.exchange.{name}", str if isinstance(default, str) else list)
    return default if value is None else value


def prepare_local_archive_mirror() -> None:
    """Generate the local archive mirror when the exchange source is configured to read it.

    Files that already exist are kept; the generator is deterministic.
    """
    mirror = local_mirror_dir()
    if Path(os.environ.get(ARCHIVE_BASE_URL, "")).resolve() != mirror.resolve():
        return
    write_mirror(
        mirror,
        symbols=list(_configured("symbols", DEFAULT_SYMBOLS)),
        first=Month.parse(str(_configured("start_month", DEFAULT_START_MONTH))),
        last=Month.parse(str(_configured("end_month", DEFAULT_END_MONTH))),
        markets=list(_configured("markets", DEFAULT_MARKETS)),
    )
