"""Errors a user can cause say what to do, and `make run` prints them without a traceback.

Two cases run ``python -m orchestration.run`` end to end (a bad setting, a locked DuckDB file);
the others call the checks `make run` makes before it loads anything.
"""

import json
import os
import socket
import subprocess
import sys

import dlt
import duckdb
import pyarrow as pa
import pytest

from ingestion.duckdb_lock import check_duckdb_writable
from ingestion.errors import SettingError, WarehouseLockedError
from ingestion.exchange.settings import check_exchange_settings
from ingestion.git.commands import GitError
from ingestion.progress import ProgressLine
from ingestion.warehouse import DuckDBSettings, duckdb_path, make_pipeline
from orchestration.environment import rest_api_urls
from orchestration.guidance import guidance, guidance_for_text
from orchestration.preflight import (
    EndpointUnreachableError,
    check_before_run,
    check_endpoints,
    check_sources,
)

from support.environment import PROJECT_ROOT


def make_run(timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``make run`` (``python -m orchestration.run``) in the test's isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.run"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DO_NOT_TRACK": "1", "RUNTIME__DLTHUB_TELEMETRY": "false"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_bad_warehouse_value_stops_make_run_with_what_to_set(tributary_env, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", "sqlite")
    result = make_run()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "WAREHOUSE='sqlite' is not supported; set WAREHOUSE to one of duckdb, postgres" in (
        result.stderr
    )
    assert not (tributary_env / "dagster").exists()  # stopped before any work


def test_locked_duckdb_names_file_process_and_what_to_do(tributary_env):
    path = duckdb_path()
    path.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"connection = duckdb.connect({str(path)!r})\n"
            "print('holding', flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLockedError) as locked:
            check_duckdb_writable()
        result = make_run()
    finally:
        holder.kill()
        holder.wait()
    message = str(locked.value)
    assert str(path) in message and f"process {holder.pid}" in message
    assert "Stop that process" in message and str(tributary_env / "bi") in message
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"the DuckDB file {path} is locked by process {holder.pid}" in result.stderr
    assert "make ui" in result.stderr and "read-only copy" in result.stderr
    # The same guidance for a lock met during a run (a failed step's message).
    duckdb_error = (
        f'IO Error: Could not set lock on file "{path}": Conflicting lock is held in '
        f"/usr/bin/python3 (PID {holder.pid}). See also https://duckdb.org/docs"
    )
    during_run = guidance_for_text(duckdb_error) or ""
    assert str(path) in during_run and f"`kill {holder.pid}`" in during_run


def test_duckdb_out_of_memory_names_the_limit_and_what_to_do(tributary_env, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_DUCKDB_MEMORY_LIMIT", "16MB")
    settings = DuckDBSettings.from_env()
    # A real DuckDB error: a sort past the limit, with spilling switched off.
    no_spilling = {**settings.config(), "temp_directory": ""}
    with (
        duckdb.connect(config=no_spilling) as connection,
        pytest.raises(duckdb.OutOfMemoryException) as failed,
    ):
        connection.execute("select * from range(10000000) order by random()").fetchall()
    assert guidance(RuntimeError("the exchange load failed")) is None
    wrapped = RuntimeError("the exchange load failed")
    wrapped.__cause__ = failed.value
    advice = guidance(wrapped) or ""
    assert "limit of 16MB (TRIBUTARY_DUCKDB_MEMORY_LIMIT" in advice
    assert str(settings.temp_directory) in advice
    # The same advice for a failed step, whose error Dagster keeps only as text.
    assert guidance_for_text(f"dlt load failed\n{failed.value}") == advice


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "SOURCES__EXCHANGE__MARKETS",
            '["spot", "um"',
            """SOURCES__EXCHANGE__MARKETS='["spot", "um"' cannot be read: set it to a JSON list, """
            """e.g. '["spot","um"]'""",
        ),
        (
            "SOURCES__EXCHANGE__MARKETS",
            '["spot", "futures"]',
            "SOURCES__EXCHANGE__MARKETS: unknown value(s) 'futures'; choose from spot, um, cm",
        ),
        (
            "SOURCES__EXCHANGE__INTERVALS",
            '["1m", "2m"]',
            "SOURCES__EXCHANGE__INTERVALS: unknown value(s) '2m'; choose from 1s, 1m, 3m",
        ),
        (
            "SOURCES__EXCHANGE__START_DATE",
            "2024/12/01",
            "SOURCES__EXCHANGE__START_DATE='2024/12/01' is not a date: set it as YYYY-MM-DD",
        ),
        (
            "SOURCES__EXCHANGE__CCXT_EXCHANGES",
            "kraken",
            "SOURCES__EXCHANGE__CCXT_EXCHANGES='kraken' cannot be read: set it to a JSON object",
        ),
    ],
)
def test_exchange_settings_say_what_to_set(tributary_env, monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingError) as error:
        check_exchange_settings()
    assert expected in str(error.value)
    assert guidance(error.value) == str(error.value)


def test_start_after_end_is_an_error_before_the_run(tributary_env, monkeypatch):
    monkeypatch.setenv("SOURCES__EXCHANGE__START_DATE", "2025-03-02")
    monkeypatch.setenv("SOURCES__EXCHANGE__END_DATE", "2025-03-01T12:00:00Z")
    with pytest.raises(SettingError) as error:
        check_before_run()
    assert str(error.value) == (
        "SOURCES__EXCHANGE__START_DATE='2025-03-02' is after "
        "SOURCES__EXCHANGE__END_DATE='2025-03-01T12:00:00Z': nothing would be loaded; set the "
        "start on or before the end"
    )
    monkeypatch.setenv("SOURCES__EXCHANGE__END_DATE", "2025-03-02")  # one day: fine
    check_exchange_settings()


def test_folder_archive_reads_no_rest_tail_unless_a_host_is_set(tributary_env, monkeypatch):
    monkeypatch.setenv("SOURCES__EXCHANGE__ARCHIVE_BASE_URL", str(tributary_env))
    assert rest_api_urls() == {"spot_api_url": "", "usdm_api_url": ""}
    check_endpoints()  # Binance's REST hosts are not contacted (offline here)
    monkeypatch.setenv("SOURCES__EXCHANGE__SPOT_API_URL", "http://127.0.0.1:9/")
    assert rest_api_urls() == {"spot_api_url": "http://127.0.0.1:9/", "usdm_api_url": ""}
    monkeypatch.setenv("SOURCES__EXCHANGE__ARCHIVE_BASE_URL", "https://data.binance.vision")
    assert rest_api_urls()["usdm_api_url"] == "https://fapi.binance.com"


def test_missing_git_repository_says_which_setting(tributary_env, monkeypatch):
    missing = tributary_env / "no-such-clone"
    monkeypatch.setenv("SOURCES__GIT__REPOSITORIES", json.dumps([f"app={missing}"]))
    with pytest.raises(GitError) as error:
        check_sources()
    assert str(missing) in str(error.value)
    assert "set SOURCES__GIT__REPOSITORIES to paths of git clones" in str(error.value)


def test_unreachable_archive_fails_before_loading(tributary_env, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv("SOURCES__EXCHANGE__ARCHIVE_BASE_URL", url)
    monkeypatch.setenv("SOURCES__EXCHANGE__SPOT_API_URL", "")
    monkeypatch.setenv("SOURCES__EXCHANGE__USDM_API_URL", "")
    with pytest.raises(EndpointUnreachableError) as error:
        check_before_run()
    assert str(error.value) == (
        f"cannot reach the exchange archive at {url} (connection refused): check "
        "SOURCES__EXCHANGE__ARCHIVE_BASE_URL and the network, or unset it to use the local "
        "demo exchange"
    )


def test_unreachable_rest_host_says_how_to_switch_it_off(tributary_env, monkeypatch):
    monkeypatch.setenv("SOURCES__EXCHANGE__ARCHIVE_BASE_URL", str(tributary_env))
    monkeypatch.setenv("SOURCES__EXCHANGE__MARKETS", '["spot"]')
    monkeypatch.setenv("SOURCES__EXCHANGE__SPOT_API_URL", closed_port_url())
    with pytest.raises(EndpointUnreachableError, match="set it to '' to load that market"):
        check_endpoints()


def test_unreachable_github_fails_before_loading(tributary_env, monkeypatch):
    url = closed_port_url()
    monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", url)
    with pytest.raises(EndpointUnreachableError) as error:
        check_endpoints()
    assert f"cannot reach the GitHub API at {url} (connection refused)" in str(error.value)
    assert "check SOURCES__GITHUB__BASE_URL" in str(error.value)


def test_bad_github_repository_name_says_the_form(tributary_env, monkeypatch):
    monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", '["webshop"]')
    with pytest.raises(SettingError, match="is not a GitHub full name 'owner/repo'; set SOURCES"):
        check_sources()


def test_progress_is_one_line_per_period_and_silent_for_short_steps(tributary_env, capsys):
    def rows(count: int) -> pa.Table:
        return pa.table({"id": list(range(count))})

    def load(period: float) -> str:
        pipeline = make_pipeline(
            pipeline_name=f"progress_{str(period).replace('.', '_')}",
            destination=dlt.destinations.duckdb(str(tributary_env / "scratch.duckdb")),
            dataset_name="progress",
            pipelines_dir=str(tributary_env / "dlt"),
            progress=ProgressLine("demo", period),
        )
        pipeline.run([rows(5_000) for _ in range(3)], table_name="numbers")
        return capsys.readouterr().out

    assert "progress:" not in load(60.0)
    lines = [line for line in load(0.0).splitlines() if line.startswith("progress:")]
    assert any(line.startswith("progress: demo extract") for line in lines)
    assert any("numbers 15,000 rows" in line for line in lines)
