"""Checks before a run: the settings, the warehouse and the endpoints, in seconds.

``make run`` (and, for the settings, ``make ui``) makes them before it loads anything
(:func:`check_before_run`): a typo fails in seconds, not after the definitions are built and a
source has retried for minutes. Each failed check raises an error whose message says what to
set or do; :mod:`orchestration.guidance` prints it without a traceback.
"""

from __future__ import annotations

import os

import requests

from ingestion.duckdb_lock import check_duckdb_writable
from ingestion.errors import WarehouseConfigError
from ingestion.exchange.defaults import DEFAULT_MARKETS
from ingestion.exchange.settings import ExchangeSettings, check_exchange_settings, exchange_settings
from ingestion.git.settings import GitSettings, check_git_settings, git_settings
from ingestion.github.settings import GitHubSettings, check_github_settings, github_settings
from ingestion.progress import progress_collector
from ingestion.warehouse import PostgresSettings, duckdb_path, warehouse_kind
from orchestration.environment import (
    github_switched_off,
    rest_api_urls,
    uses_local_exchange,
    uses_local_github,
)

CONNECT_SECONDS = 5.0
"""How long a check waits for an endpoint or Postgres to accept a connection."""


class EndpointUnreachableError(RuntimeError):
    """An HTTP endpoint that does not answer; the message names the setting that points at it."""


class PostgresUnreachableError(RuntimeError):
    """Postgres refused the connection; the message names the settings to check."""


def check_warehouse() -> None:
    """The warehouse settings, and that the warehouse can be written now."""
    kind = warehouse_kind()
    if kind == "duckdb":
        path = duckdb_path()
        if path.is_dir():
            raise WarehouseConfigError(
                f"TRIBUTARY_DUCKDB_PATH={str(path)!r} is a folder: set it to a file such as "
                f"{path / 'tributary.duckdb'}, or leave it unset"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WarehouseConfigError(
                f"cannot create the folder of the DuckDB file {path} ({error.strerror}): set "
                "TRIBUTARY_DATA_DIR (or TRIBUTARY_DUCKDB_PATH) to a folder you can write"
            ) from None
        check_duckdb_writable(path)
    else:
        check_postgres_connects()


def check_postgres_connects() -> None:
    """With ``POSTGRES_HOST`` set, connect once (a local pgserver is started later, by the run)."""
    if not os.environ.get("POSTGRES_HOST"):
        return
    import psycopg2

    settings = PostgresSettings.from_env()
    try:
        psycopg2.connect(
            **settings.connect_args(),
            connect_timeout=int(CONNECT_SECONDS),
        ).close()
    except psycopg2.OperationalError as error:
        raise PostgresUnreachableError(postgres_message(settings, str(error))) from None


def postgres_message(settings: PostgresSettings, error: str) -> str:
    reason = " ".join(error.split()).rstrip(".")
    return (
        f"cannot connect to Postgres database {settings.database!r} at {settings.host} (port "
        f"{settings.port}) as {settings.user!r} ({reason}). Check POSTGRES_HOST, POSTGRES_PORT, "
        "POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB, and that the server is running; or "
        "unset POSTGRES_HOST to let `make run` start a local Postgres under the data folder."
    )


def check_sources(
    exchange: ExchangeSettings | None = None,
    git: GitSettings | None = None,
    github: GitHubSettings | None = None,
) -> None:
    """Every source setting that is set: exchange values, git paths, GitHub repository names
    (each source's settings resolved here when not given)."""
    check_exchange_settings(exchange)
    check_git_settings(git)
    check_github_settings(github)
    progress_collector("check")


def _reason(error: requests.RequestException) -> str:
    text = str(error)
    if isinstance(error, requests.Timeout):
        return f"no answer within {CONNECT_SECONDS:.0f} s"
    for pattern, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
    ):
        if pattern in text:
            return reason
    return type(error).__name__


def check_reachable(url: str, variable: str, what: str, otherwise: str) -> None:
    """Raise :class:`EndpointUnreachableError` unless ``url`` answers HTTP (any status will do:
    the endpoint is there); no retries, so that a wrong URL fails in seconds."""
    try:
        requests.head(url, timeout=CONNECT_SECONDS, allow_redirects=False).close()
    except requests.RequestException as error:
        raise EndpointUnreachableError(
            f"cannot reach {what} at {url} ({_reason(error)}): check {variable} and the "
            f"network{otherwise}"
        ) from None


def check_endpoints(
    exchange: ExchangeSettings | None = None, github: GitHubSettings | None = None
) -> None:
    """The configured HTTP endpoints answer (the local demo ones start with the run; each
    source's settings are resolved here when not given)."""
    exchange = exchange_settings() if exchange is None else exchange
    github = github_settings() if github is None else github
    if not uses_local_exchange(exchange):
        archive = exchange.archive_base_url or ""
        if archive.startswith(("http://", "https://")):
            check_reachable(
                archive,
                "SOURCES__EXCHANGE__ARCHIVE_BASE_URL",
                "the exchange archive",
                ", or unset it to use the local demo exchange",
            )
        markets = exchange.markets or DEFAULT_MARKETS
        urls = rest_api_urls(exchange)
        for market, name in (("spot", "spot_api_url"), ("um", "usdm_api_url")):
            url = urls[name]
            if market in markets and url:
                check_reachable(
                    url,
                    f"SOURCES__EXCHANGE__{name.upper()}",
                    f"the {market} REST API",
                    ", or set it to '' to load that market from the archive only",
                )
    if not uses_local_github(github) and not github_switched_off(github):
        check_reachable(
            github.base_url,
            "SOURCES__GITHUB__BASE_URL",
            "the GitHub API",
            ", or unset it to use the local demo GitHub",
        )


def check_before_run() -> None:
    """Everything that can be checked in seconds before a run: settings first (no I/O), then
    the warehouse (lock, connection), then the endpoints."""
    warehouse_kind()
    exchange, git, github = exchange_settings(), git_settings(), github_settings()
    check_sources(exchange, git, github)
    check_warehouse()
    check_endpoints(exchange, github)
