"""Settings mean what they say: an explicitly empty list switches that source or feature off;
only an unset variable falls back to the demo's default.

Each list setting is set to ``'[]'`` (the ccxt exchanges to ``'{}'``) in the test's isolated
environment, and the source is run the way ``make run`` runs it (arguments from
``orchestration.environment``, the rest resolved by dlt) into a real DuckDB file. The whole
warehouse built with every source switched off is in ``tests/e2e/test_sources_switched_off.py``.
"""

import pytest

from ingestion.exchange import exchange_source
from ingestion.exchange.settings import check_exchange_settings
from ingestion.git import git_source
from ingestion.github import github_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor
from orchestration.environment import (
    apply_local_defaults,
    exchange_endpoints,
    git_repositories,
    github_endpoints,
    uses_demo_repositories,
    uses_local_github,
)
from orchestration.preflight import check_before_run
from orchestration.run import starting_line
from orchestration.summary import table_row_counts

from support.environment import isolate_environment
from support.git_repository import Repository


@pytest.fixture
def environment(monkeypatch, tmp_path):
    isolate_environment(monkeypatch, tmp_path / "data", "duckdb")
    apply_local_defaults()
    return monkeypatch


def count(sql: str) -> int:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def test_unset_lists_fall_back_to_the_demo(environment):
    assert uses_demo_repositories()
    assert len(git_repositories()["repositories"]) == 2  # this checkout and webshop
    assert uses_local_github()
    with github_endpoints() as arguments:
        assert arguments["repositories"] == ["tributary-demo/webshop"]
    with exchange_endpoints() as arguments:
        assert list(arguments["ccxt_exchanges"]) == ["binanceus"]


def test_the_demo_ccxt_feed_follows_symbols_without_btcusdt(environment):
    """The demo's ccxt feed reads a configured symbol (the local exchange answers for those
    only): ETHUSDT alone loads ETH/USDT candles through ccxt, beside the archive's."""
    environment.setenv("SOURCES__EXCHANGE__SYMBOLS", '["ETHUSDT"]')
    environment.setenv("SOURCES__EXCHANGE__MARKETS", '["spot"]')
    environment.setenv("SOURCES__EXCHANGE__INTERVALS", '["1m"]')
    environment.setenv("SOURCES__EXCHANGE__START_DATE", "2025-03-02")
    check_before_run()
    with exchange_endpoints() as arguments:
        assert arguments["ccxt_exchanges"]["binanceus"]["symbols"] == ["ETH/USDT"]
        dlt_pipeline("exchange").run(exchange_source(**arguments))
    loaded = count(
        "select count(*) from raw_exchange.klines "
        "where data_source = 'ccxt' and exchange = 'binanceus' and symbol = 'ETHUSDT'"
    )
    assert loaded > 0
    assert count("select count(*) from raw_exchange.klines where symbol <> 'ETHUSDT'") == 0


@pytest.mark.parametrize("setting", ["REPOSITORIES", "REPOSITORY_ROOTS"])
def test_an_empty_repository_list_reads_no_repository(environment, setting):
    environment.setenv(f"SOURCES__GIT__{setting}", "[]")
    check_before_run()
    assert not uses_demo_repositories()
    assert git_repositories() == {"repositories": []}
    assert "no git repositories (switched off)" in starting_line()
    dlt_pipeline("git").run(git_source(**git_repositories()))
    assert count("select count(*) from raw_git.commits") == 0  # the tables exist, empty


def test_an_empty_github_list_switches_github_off(environment):
    """Not even the local GitHub starts, and the source requests nothing (the default base URL
    is the real API, which this machine cannot reach: a request would fail the run)."""
    environment.setenv("SOURCES__GITHUB__REPOSITORIES", "[]")
    check_before_run()
    assert not uses_local_github()
    assert "no GitHub (switched off)" in starting_line()
    with github_endpoints() as arguments:
        assert arguments == {}
        dlt_pipeline("github").run(github_source(**arguments))
    assert "raw_github.pull_requests" not in table_row_counts()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SYMBOLS", "[]"), ("MARKETS", "[]"), ("INTERVALS", "[]"), ("CCXT_EXCHANGES", "{}")],
)
def test_an_empty_exchange_list_switches_its_feed_off(environment, setting, value):
    environment.setenv(f"SOURCES__EXCHANGE__{setting}", value)
    check_exchange_settings()
    with exchange_endpoints() as arguments:
        dlt_pipeline("exchange").run(exchange_source(**arguments))
    loaded = dict(_rows("select data_source, count(*) from raw_exchange.klines group by 1"))
    # Symbols off: nothing (the demo's ccxt feed follows the symbols); intervals off: nothing
    # (ccxt takes the same intervals unless given its own). Markets off: no Binance candles, the
    # demo's ccxt feed still runs. ccxt off: Binance only.
    expected_empty = {
        "SYMBOLS": {"archive", "rest", "ccxt"},
        "MARKETS": {"archive", "rest"},
        "INTERVALS": {"archive", "rest", "ccxt"},
        "CCXT_EXCHANGES": {"ccxt"},
    }[setting]
    assert {s for s in ("archive", "rest", "ccxt") if not loaded.get(s)} == expected_empty


def _rows(sql: str) -> list[tuple]:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_empty_bot_patterns_flag_no_bot(environment, tmp_path):
    repo = Repository(tmp_path / "repo")
    repo.commit("a", "2025-01-06T09:00:00Z")
    repo.git("commit", "--allow-empty", "--quiet", "-m", "Bump",
             "--author", "dependabot[bot] <support@github.com>")  # fmt: skip
    source = {"repositories": [f"repo={repo.path}"]}
    dlt_pipeline("git").run(git_source(**source))
    assert count("select count(*) from raw_git.commits where is_bot") == 1
    environment.setenv("SOURCES__GIT__BOT_PATTERNS", "[]")  # re-reads every commit
    dlt_pipeline("git").run(git_source(**source))
    assert count("select count(*) from raw_git.commits where is_bot") == 0
