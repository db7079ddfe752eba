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

Each source's settings are resolved once into its settings object
(:mod:`ingestion.exchange.settings`, :mod:`ingestion.git.settings`,
:mod:`ingestion.github.settings`); the functions here read that object (resolving it when not
given one) and build a run's source arguments from it (:func:`exchange_arguments`,
:func:`git_arguments`, :func:`github_arguments`), so dlt resolves nothing a second time.

This module decides whether a source uses the demo; the demo itself (:mod:`demo`: the stand-ins
and the data they serve) is imported only when one does, so a production run never loads it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
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
from ingestion.exchange.settings import ExchangeSettings, exchange_settings
from ingestion.exchange.source import exchange_source
from ingestion.git.settings import GitSettings, git_settings
from ingestion.git.source import git_source
from ingestion.github.settings import GitHubSettings, github_settings
from ingestion.github.source import github_source
from ingestion.settings import source_arguments
from ingestion.telemetry import switch_off_telemetry
from ingestion.warehouse import PROJECT_ROOT, DuckDBSettings, data_dir, duckdb_path

if TYPE_CHECKING:
    from demo.webshop.world import DemoWorld

ARCHIVE_BASE_URL = "SOURCES__EXCHANGE__ARCHIVE_BASE_URL"
DAGSTER_YAML = Path(__file__).with_name("dagster.yaml")


def local_mirror_dir() -> Path:
    return data_dir() / "mirror"


def apply_local_defaults() -> None:
    """Fill in what the environment leaves unset: telemetry off, local sources, absolute paths."""
    # dagster-dbt runs `dbt` from PATH: make it the dbt installed beside this interpreter.
    scripts = str(Path(sys.executable).absolute().parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    switch_off_telemetry()
    os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster"))
    os.environ.setdefault("TRIBUTARY_DUCKDB_PATH", str(duckdb_path()))
    duckdb_settings = DuckDBSettings.from_env()  # for dbt (profiles.yml) as for this process
    os.environ.setdefault("TRIBUTARY_DUCKDB_MEMORY_LIMIT", duckdb_settings.memory_limit)
    os.environ.setdefault("TRIBUTARY_DUCKDB_THREADS", str(duckdb_settings.threads))
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


def _or(value: Any, default: Any) -> Any:
    """``value``, or ``default`` where the setting is unset (None)."""
    return default if value is None else value


def _exchange(settings: ExchangeSettings | None) -> ExchangeSettings:
    return exchange_settings() if settings is None else settings


def _git(settings: GitSettings | None) -> GitSettings:
    return git_settings() if settings is None else settings


def _github(settings: GitHubSettings | None) -> GitHubSettings:
    return github_settings() if settings is None else settings


def uses_local_exchange(settings: ExchangeSettings | None = None) -> bool:
    """True when no archive endpoint is configured: the demo's local exchange stands in."""
    return not _exchange(settings).archive_base_url


def archive_is_folder(settings: ExchangeSettings | None = None) -> bool:
    """True when the configured archive is a local folder (a path or ``file://``)."""
    archive = _exchange(settings).archive_base_url
    return bool(archive) and not archive.startswith(("http://", "https://"))


def exchange_switched_off(settings: ExchangeSettings | None = None) -> bool:
    """True when the symbols are set to an empty list: no candles are loaded."""
    return _exchange(settings).symbols == []


def rest_api_urls(settings: ExchangeSettings | None = None) -> dict[str, str]:
    """The REST hosts of the tail, ``{"spot_api_url": ..., "usdm_api_url": ...}``: as set, else
    Binance's; with a folder archive and no REST host set, none (an empty string switches a
    tail off): a folder is an offline copy, so its tail comes from a host set explicitly."""
    settings = _exchange(settings)
    folder = archive_is_folder(settings)
    return {
        "spot_api_url": _or(settings.spot_api_url, "" if folder else SPOT_API_URL),
        "usdm_api_url": _or(settings.usdm_api_url, "" if folder else USDM_API_URL),
    }


@contextmanager
def exchange_endpoints(settings: ExchangeSettings | None = None) -> Iterator[dict[str, Any]]:
    """The endpoints among the arguments of ``exchange_source``: the REST hosts when endpoints
    are configured (see :func:`rest_api_urls`), or the URLs of a local exchange started for
    the duration of the block, serving the mirror under ``data/mirror`` for the configured
    symbols, markets and intervals (and a ccxt feed unless ccxt exchanges are configured)."""
    settings = _exchange(settings)
    if not uses_local_exchange(settings):
        yield rest_api_urls(settings)
        return
    from demo.stand_ins import local_exchange  # only a run that uses the demo loads it

    with local_exchange(
        local_mirror_dir(),
        symbols=list(_or(settings.symbols, DEFAULT_SYMBOLS)),
        start_date=_or(settings.start_date, DEFAULT_START_DATE),
        markets=list(_or(settings.markets, DEFAULT_MARKETS)),
        intervals=list(_or(settings.intervals, DEFAULT_INTERVALS)),
        end_date=settings.end_date,
        with_ccxt=settings.ccxt_exchanges is None,
    ) as endpoints:
        yield endpoints


@contextmanager
def exchange_arguments() -> Iterator[dict[str, Any]]:
    """Every settings argument of ``exchange_source`` for a run: the settings resolved once,
    with the endpoints of :func:`exchange_endpoints` (a local exchange for the duration of the
    block when none is configured)."""
    settings = exchange_settings()
    with exchange_endpoints(settings) as endpoints:
        yield {**source_arguments(exchange_source, settings), **endpoints}


def demo_world() -> DemoWorld:
    """The demo repository and its GitHub world under ``data/demo`` (generated once)."""
    from demo.webshop.world import write_demo_world  # only a run that uses the demo loads it

    return write_demo_world(data_dir() / "demo")


def uses_demo_repositories(settings: GitSettings | None = None) -> bool:
    """True when neither repositories nor repository roots are set (an empty list is set: it
    switches that setting off): the demo reads this checkout and ``webshop``."""
    return _git(settings).nothing_configured


def git_switched_off(settings: GitSettings | None = None) -> bool:
    """True when repositories or roots are set and both are empty: no repository is read."""
    settings = _git(settings)
    return not settings.nothing_configured and not (
        settings.repositories or settings.repository_roots
    )


def git_repositories(settings: GitSettings | None = None) -> dict[str, Any]:
    """The repositories among the arguments of ``git_source``: the configured ones (none when
    only roots are set), else this checkout and the demo repository."""
    settings = _git(settings)
    if not settings.nothing_configured:
        return {"repositories": settings.repositories or []}
    return {
        "repositories": [
            f"tributary={PROJECT_ROOT}",
            f"webshop={demo_world().repository_path}",
        ]
    }


def git_arguments() -> dict[str, Any]:
    """Every settings argument of ``git_source`` for a run: the settings resolved once, with
    the repositories of :func:`git_repositories`."""
    settings = git_settings()
    return {**source_arguments(git_source, settings), **git_repositories(settings)}


def github_switched_off(settings: GitHubSettings | None = None) -> bool:
    """True when the repositories are set to an empty list: GitHub is off (only an unset list
    falls back to the demo's repository)."""
    return _github(settings).repositories == []


def uses_local_github(settings: GitHubSettings | None = None) -> bool:
    """True when no GitHub endpoint is configured and GitHub is not switched off (an empty
    repository list): the demo's local GitHub stands in."""
    settings = _github(settings)
    return not settings.base_url and not github_switched_off(settings)


@contextmanager
def github_endpoints(settings: GitHubSettings | None = None) -> Iterator[dict[str, Any]]:
    """The endpoint among the arguments of ``github_source``: nothing when an endpoint is
    configured or GitHub is switched off, or a local GitHub serving the demo repository's
    world for the duration of the block (for the configured repositories, by default the
    demo's)."""
    settings = _github(settings)
    if not uses_local_github(settings):
        yield {}
        return
    from demo.stand_ins import local_github  # only a run that uses the demo loads it

    with local_github(demo_world(), settings.repositories) as arguments:
        yield arguments


@contextmanager
def github_arguments() -> Iterator[dict[str, Any]]:
    """Every settings argument of ``github_source`` for a run: the settings resolved once,
    with the endpoint of :func:`github_endpoints`."""
    settings = github_settings()
    with github_endpoints(settings) as endpoints:
        yield {**source_arguments(github_source, settings), **endpoints}
