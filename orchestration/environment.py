"""The local defaults of a Tributary run, applied only where the environment says nothing.

Offline by design, online by configuration: with no exchange endpoint configured, the exchange
source talks HTTP to a local exchange on 127.0.0.1 that serves a generated archive mirror under
``data/mirror`` and a REST klines endpoint, with its clock set to the demo's "now". Setting
``SOURCES__EXCHANGE__ARCHIVE_BASE_URL`` (e.g. ``https://data.binance.vision``) switches to the
real endpoints (REST hosts default to Binance's) through the very same code path.

Repository data likewise: with no repositories configured, the git source reads this checkout
and a generated demo repository (``data/demo/webshop``); with no GitHub endpoint configured, the
GitHub source talks to a local GitHub on 127.0.0.1 whose pull requests, releases, deployments and
workflow runs belong to that demo repository. ``SOURCES__GIT__REPOSITORIES`` (or
``SOURCES__GIT__REPOSITORY_ROOTS``) and ``SOURCES__GITHUB__BASE_URL`` switch them to your own.

This module decides whether a source uses the demo; the demo itself (:mod:`demo`: the stand-ins
and the data they serve) is imported only when one does, so a production run never loads it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.exchange.defaults import (
    DEFAULT_INTERVALS,
    DEFAULT_MARKETS,
    DEFAULT_START_DATE,
    DEFAULT_SYMBOLS,
    SPOT_API_URL,
    USDM_API_URL,
)
from ingestion.settings import config_value
from ingestion.telemetry import switch_off_telemetry
from ingestion.warehouse import PROJECT_ROOT, data_dir, duckdb_path

if TYPE_CHECKING:
    from demo.webshop.world import DemoWorld

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
    switch_off_telemetry()
    os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster"))
    os.environ.setdefault("TRIBUTARY_DUCKDB_PATH", str(duckdb_path()))
    # Completed load packages are of no further use and take ~45 MB per million rows.
    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
    # A dbt test runs when every model it reads is in the invocation: a build of some models
    # (a subset from the UI, or what a failed load does not feed) does not test against a
    # model it did not build (a relationship to a seed would otherwise pull the test in).
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "cautious")
    if not sys.stdout.isatty():  # dbt's colour codes are noise in a log file or a pipe
        os.environ.setdefault("DBT_USE_COLORS", "false")


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME with Tributary's instance settings (telemetry off, one writer)."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


def _configured(name: str, default: Sequence[str] | str) -> Any:
    """An exchange-source setting as dlt resolves it (environment, config.toml), or default."""
    value = config_value(f"sources.exchange.{name}", str if isinstance(default, str) else list)
    return default if value is None else value


def uses_local_exchange() -> bool:
    """True when no archive endpoint is configured: the demo's local exchange stands in."""
    return not _configured("archive_base_url", "")


def archive_is_folder() -> bool:
    """True when the configured archive is a local folder (a path or ``file://``)."""
    archive = _configured("archive_base_url", "")
    return bool(archive) and not archive.startswith(("http://", "https://"))


def rest_api_urls() -> dict[str, str]:
    """The REST hosts of the tail, ``{"spot_api_url": ..., "usdm_api_url": ...}``: as set, else
    Binance's; with a folder archive and no REST host set, none (an empty string switches a
    tail off): a folder is an offline copy, so its tail comes from a host set explicitly."""
    default = (lambda url: "") if archive_is_folder() else (lambda url: url)
    return {
        "spot_api_url": _configured("spot_api_url", default(SPOT_API_URL)),
        "usdm_api_url": _configured("usdm_api_url", default(USDM_API_URL)),
    }


@contextmanager
def exchange_endpoints() -> Iterator[dict[str, Any]]:
    """Arguments for ``exchange_source``: the REST hosts when endpoints are configured (dlt
    resolves the rest; see :func:`rest_api_urls`), or the URLs of a local exchange started for
    the duration of the block, serving the mirror under ``data/mirror`` for the configured
    symbols, markets and intervals (and a ccxt feed unless ccxt exchanges are configured)."""
    if not uses_local_exchange():
        yield rest_api_urls()
        return
    from demo.stand_ins import local_exchange  # only a run that uses the demo loads it

    with local_exchange(
        local_mirror_dir(),
        symbols=list(_configured("symbols", DEFAULT_SYMBOLS)),
        start_date=_configured("start_date", DEFAULT_START_DATE),
        markets=list(_configured("markets", DEFAULT_MARKETS)),
        intervals=list(_configured("intervals", DEFAULT_INTERVALS)),
        end_date=config_value("sources.exchange.end_date", str),
        with_ccxt=config_value("sources.exchange.ccxt_exchanges", dict) is None,
    ) as endpoints:
        yield endpoints


def demo_world() -> DemoWorld:
    """The demo repository and its GitHub world under ``data/demo`` (generated once)."""
    from demo.webshop.world import write_demo_world  # only a run that uses the demo loads it

    return write_demo_world(data_dir() / "demo")


def uses_demo_repositories() -> bool:
    """True when neither repositories nor repository roots are set (an empty list is set: it
    switches that setting off): the demo reads this checkout and ``webshop``."""
    return (
        config_value("sources.git.repositories", list) is None
        and config_value("sources.git.repository_roots", list) is None
    )


def git_switched_off() -> bool:
    """True when repositories or roots are set and both are empty: no repository is read."""
    return not uses_demo_repositories() and not (
        config_value("sources.git.repositories", list)
        or config_value("sources.git.repository_roots", list)
    )


def git_repositories() -> dict[str, Any]:
    """Arguments for ``git_source``: the configured repositories (none when only roots are
    set; dlt resolves the roots), else this checkout and the demo repository."""
    if not uses_demo_repositories():
        return {"repositories": config_value("sources.git.repositories", list) or []}
    return {
        "repositories": [
            f"tributary={PROJECT_ROOT}",
            f"webshop={demo_world().repository_path}",
        ]
    }


def switched_off(key: str) -> bool:
    """True when the list setting ``key`` is set to an empty list: that source or feature is
    off (only an unset setting falls back to the demo's default)."""
    return config_value(key, list) == []


def uses_local_github() -> bool:
    """True when no GitHub endpoint is configured and GitHub is not switched off (an empty
    repository list): the demo's local GitHub stands in."""
    return not config_value("sources.github.base_url", str) and not switched_off(
        "sources.github.repositories"
    )


@contextmanager
def github_endpoints() -> Iterator[dict[str, Any]]:
    """Arguments for ``github_source``: nothing when an endpoint is configured or GitHub is
    switched off (dlt resolves the settings), or a local GitHub serving the demo repository's
    world for the duration of the block (for the configured repositories, by default the
    demo's)."""
    if not uses_local_github():
        yield {}
        return
    from demo.stand_ins import local_github  # only a run that uses the demo loads it

    repositories = config_value("sources.github.repositories", list)
    with local_github(demo_world(), repositories) as arguments:
        yield arguments
