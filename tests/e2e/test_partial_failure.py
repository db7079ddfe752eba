"""One failing source never blocks the marts that do not read it, and the run says why it failed.

``make run`` (``python -m orchestration.run``) runs twice on fresh data folders:

- the exchange archive (a folder) has a file whose ``.CHECKSUM`` does not match: the exchange
  step fails, yet the engineering marts build and the BI copy is published; the run ends with
  status 1, the file named in the failure report at the end and the market marts listed stale;
- GitHub answers 401 (a token is required and none is set): the market marts build, the
  engineering marts that read GitHub are stale, and the report gives GitHub's own message.
"""

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import duckdb
import pytest

from demo.exchange.mirror import write_mirror
from demo.github.server import LocalGitHub
from ingestion.warehouse import warehouse_cursor
from orchestration.bi_copy import bi_duckdb_path
from orchestration.environment import apply_local_defaults, demo_world

from support.environment import PROJECT_ROOT

DAY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"
ONE_SYMBOL_FOLDER = {
    "SOURCES__EXCHANGE__MARKETS": '["spot"]',
    "SOURCES__EXCHANGE__SYMBOLS": '["BTCUSDT"]',
    "SOURCES__EXCHANGE__INTERVALS": '["1m"]',
    "SOURCES__EXCHANGE__START_DATE": "2025-01-01",
    "SOURCES__EXCHANGE__END_DATE": "2025-01-03",
}


def make_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.run"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "TRIBUTARY_PROGRESS_SECONDS": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def marts() -> set[str]:
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
        return {table for (table,) in cursor.fetchall()}


def failure_report(stderr: str) -> str:
    """What ``make run`` prints last: from "The warehouse build failed" on."""
    assert "The warehouse build failed after" in stderr, stderr[-3000:]
    return stderr[stderr.index("The warehouse build failed after") :]


@pytest.mark.long
def test_a_rejected_archive_file_leaves_the_engineering_marts_built(tributary_env, monkeypatch):
    folder = tributary_env.parent / "archive"
    write_mirror(
        folder,
        symbols=("BTCUSDT",),
        start=date(2025, 1, 1),
        now=datetime(2025, 1, 4, tzinfo=UTC),
        markets=("spot",),
        intervals=("1m",),
    )
    (folder / f"{DAY}.CHECKSUM").write_text(f"{'0' * 64}  {DAY.rsplit('/', 1)[1]}\n")
    for variable, value in ONE_SYMBOL_FOLDER.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("SOURCES__EXCHANGE__ARCHIVE_BASE_URL", str(folder))

    result = make_run()

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    report = failure_report(result.stderr)
    assert "  - exchange: 1 archive file(s) rejected; every other file was loaded:" in report
    assert f"{folder / DAY}: checksum mismatch" in report
    stale = next(line for line in report.splitlines() if line.startswith("  stale "))
    assert "fct_candles" in stale and "fct_dora_weekly" not in stale
    assert "Error occurred while executing" not in report
    assert "Tributary warehouse partly built on duckdb" in result.stdout
    assert "\x1b[" not in result.stdout + result.stderr  # no colour codes in a pipe
    built = marts()
    assert {"fct_commits", "fct_dora_weekly", "fct_deployments"} <= built
    assert "fct_candles" not in built
    with duckdb.connect(str(bi_duckdb_path()), read_only=True) as copy:
        tables = {
            name for (name,) in copy.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert "fct_dora_weekly" in tables


def test_github_refusing_the_token_leaves_the_market_marts_built(tributary_env, monkeypatch):
    apply_local_defaults()
    world = demo_world()
    monkeypatch.setenv("SOURCES__EXCHANGE__SYMBOLS", '["BTCUSDT"]')
    monkeypatch.setenv("SOURCES__EXCHANGE__START_DATE", "2025-03-01")
    with LocalGitHub(world.world_path, token="only-this-token") as github:
        monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", github.url)
        monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", f'["{world.full_name}"]')
        result = make_run()

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    report = failure_report(result.stderr)
    github_line = next(line for line in report.splitlines() if line.startswith("  - github: "))
    assert "401" in github_line and "Bad credentials" in github_line, report
    stale = next(line for line in report.splitlines() if line.startswith("  stale "))
    assert "fct_pull_requests" in stale and "fct_candles" not in stale
    built = marts()
    assert {"fct_candles", "fct_market_daily", "fct_risk_metrics"} <= built
    assert "fct_pull_requests" not in built
