"""The whole chain, as `make run` runs it: the local exchange over HTTP, dlt loads and dbt build
through Dagster, on DuckDB and on a real Postgres (pgserver), with the numbers checked against the
sources themselves.

Each warehouse is built three times: first up to an earlier moment (as if yesterday's run), then
up to the demo's "now" (new archive files, a new REST tail, incremental dbt), then once more
(nothing new). The incrementally built candles must equal a full rebuild, and the third build's
marts the second's, value for value.
"""

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from demo.exchange.candles import DEFAULT_MAINTENANCE, kline_rows, parse_window
from ingestion.exchange.layout import Month
from ingestion.warehouse import PROJECT_ROOT, warehouse_cursor
from orchestration.run import materialize_warehouse
from orchestration.summary import table_row_counts

from support.environment import isolate_environment, on_each_warehouse
from support.git_repository import commit_count, rev_list_shipped
from support.warehouse import mart_content_hashes, run_dbt

MARTS = (
    "marts.dim_repositories",
    "marts.dim_symbols",
    "marts.fct_candle_gaps",
    "marts.fct_candles",
    "marts.fct_commits",
    "marts.fct_funding_rates",
    "marts.fct_market_daily",
    "marts.fct_repository_daily_commits",
    "marts.fct_risk_metrics",
    "marts.fct_technical_indicators",
)
SYMBOLS = ("BTCUSDT", "SOLUSDT")  # conftest.SMALL_DEMO
MARKETS = ("spot", "um")
EARLIER_END = "2025-03-02T12:00:00+00:00"


def mirror_candle_count(mirror: Path) -> int:
    """Candles in the generated archive, counted from the CSV lines inside its kline zips."""
    total = 0
    for path in mirror.rglob("*.zip"):
        if "/klines/" not in path.as_posix():
            continue
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            lines = io.TextIOWrapper(archive.open(member)).readlines()
        total += sum(1 for line in lines if line[:1].isdigit())
    return total


def generated_minutes(symbol: str, first: datetime, end: datetime) -> int:
    """One-minute candles the exchange has for ``symbol`` in [first, end), from the generator."""
    windows = [parse_window(window) for window in DEFAULT_MAINTENANCE]
    first_ms, end_ms = (int(moment.timestamp() * 1000) for moment in (first, end))
    return sum(
        1 for row in kline_rows(symbol, Month(2025, 3), windows) if first_ms <= row[0] < end_ms
    )


def rows(sql: str) -> list[tuple]:
    with warehouse_cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def scalar(sql: str) -> object:
    return rows(sql)[0][0]


def check_engineering_marts(world_path: Path) -> None:
    """The demo repository's marts against its GitHub world, counted from the JSON itself."""
    (world,) = json.loads(world_path.read_text())["repositories"].values()
    successful = {
        deployment_id
        for deployment_id, statuses in world["deployment_statuses"].items()
        if any(status["state"] == "success" for status in statuses)
    }
    production = [
        d
        for d in world["deployments"]
        if d["environment"] == "production" and str(d["id"]) in successful
    ]
    incidents = [
        issue
        for issue in world["issues"]
        if "pull_request" not in issue
        and any(label["name"] == "incident" for label in issue["labels"])
    ]
    assert scalar("select count(*) from raw_github.pull_requests") == len(world["pulls"])
    assert scalar(
        "select count(*) from marts.fct_pull_requests where repository = 'webshop'"
    ) == len(world["pulls"])
    assert rows(
        "select deployment_source, count(*) from marts.fct_deployments "
        "where repository = 'webshop' group by deployment_source"
    ) == [("github_deployment", len(production))]
    assert scalar("select count(*) from marts.fct_incidents where repository = 'webshop'") == len(
        incidents
    )
    # Each deployment shipped exactly what git rev-list <its commit> --not <every earlier
    # deployment's commit> lists, asked of the demo repository itself.
    order = rows(
        "select deployment_id, commit_sha from marts.fct_deployments "
        "where repository = 'webshop' order by deployed_at, deployment_id"
    )
    shipped: dict[str, set[str]] = {deployment_id: set() for deployment_id, _ in order}
    for deployment_id, sha in rows(
        "select deployment_id, commit_sha from intermediate.int_engineering__deployment_commits "
        "where repository = 'webshop'"
    ):
        shipped[deployment_id].add(sha)
    assert shipped == rev_list_shipped(world_path.parent / "webshop", order)
    # Every deployed commit shipped once; failure rates stay within 0..1.
    assert (
        scalar(
            "select count(*) from (select repository, commit_sha "
            "from intermediate.int_engineering__deployment_commits "
            "group by 1, 2 having count(*) > 1) as shipped_twice"
        )
        == 0
    )
    assert (
        scalar(
            "select count(*) from marts.fct_dora_weekly "
            "where change_failure_rate < 0 or change_failure_rate > 1"
        )
        == 0
    )
    # The Christmas freeze: a week without deployments is a row with zero deployment-days.
    assert rows(
        "select deployment_days from marts.fct_dora_weekly "
        "where repository = 'webshop' and cast(week_start as text) = '2024-12-23'"
    ) == [(0,)]
    # This checkout has no release tags and no GitHub data: its empty marts say why.
    reasons = dict(
        rows(
            "select check_name, reason from marts.fct_engineering_data_quality "
            "where repository = 'tributary' and status = 'empty'"
        )
    )
    assert "deployments" in reasons and "tag" in reasons["deployments"], reasons


CANDLE_COLUMNS = (
    "exchange, market, symbol, candle_interval, open_at, open_price, high_price, low_price, "
    "close_price, base_volume, quote_volume, trade_count, candle_count, is_complete"
)


@pytest.mark.long
@on_each_warehouse
def test_build_incrementally_gives_the_complete_warehouse(warehouse, monkeypatch, tmp_path):
    data_dir = tmp_path / "data"
    isolate_environment(monkeypatch, data_dir, warehouse)
    instance = DagsterInstance.ephemeral()

    # Yesterday's run: the archive up to 2025-03-01, the REST tail up to 03-02 12:00.
    monkeypatch.setenv("SOURCES__EXCHANGE__END_DATE", EARLIER_END)
    assert materialize_warehouse(instance).success
    rest_of_march_2 = rows(
        "select count(*) from raw_exchange.klines "
        "where data_source = 'rest' and open_time >= '2025-03-02' and open_time < '2025-03-03'"
    )[0][0]
    assert rest_of_march_2 > 0

    # Today's run: the daily files of 03-02 arrive, the tail moves on to 03-03 12:00.
    monkeypatch.delenv("SOURCES__EXCHANGE__END_DATE")
    assert materialize_warehouse(instance).success
    counts = table_row_counts()
    assert set(MARTS) <= set(counts)
    assert all(counts[mart] > 0 for mart in MARTS), counts
    # Each materialization records its table's row count.
    for table in ("raw_exchange.klines", "marts.fct_candles", "marts.fct_commits"):
        event = instance.get_latest_materialization_event(AssetKey(table.split(".")))
        assert event.asset_materialization.metadata["dagster/row_count"].value == counts[table]

    # Every archive candle once; the REST tail exactly the minutes after the archive, without
    # the still-open candle; ccxt (Binance US at the local exchange) from 03-01.
    by_source = dict(
        rows("select data_source, count(*) from raw_exchange.klines group by data_source")
    )
    assert by_source["archive"] == mirror_candle_count(data_dir / "mirror")
    march_2, march_3, noon = (
        datetime(2025, 3, 2, tzinfo=UTC),
        datetime(2025, 3, 3, tzinfo=UTC),
        datetime(2025, 3, 3, 12, tzinfo=UTC),
    )
    tail = {symbol: generated_minutes(symbol, march_3, noon) for symbol in SYMBOLS}
    earlier_tail = {
        symbol: generated_minutes(symbol, march_2, march_2.replace(hour=12)) for symbol in SYMBOLS
    }
    assert by_source["rest"] == len(MARKETS) * (sum(tail.values()) + sum(earlier_tail.values()))
    assert (
        by_source["ccxt"]
        == generated_minutes("BTCUSDT", datetime(2025, 3, 1, tzinfo=UTC), noon) + 2
    )

    # Precedence: the archive replaced yesterday's REST tail; a candle is never there twice.
    one_minute = dict(
        rows(
            "select data_source, count(*) from intermediate.int_markets__candles_1m "
            "group by data_source"
        )
    )
    assert one_minute["rest"] == len(MARKETS) * sum(tail.values())
    assert scalar("select count(*) from marts.fct_candles where candle_interval = '1m'") == sum(
        one_minute.values()
    )
    assert (
        scalar(
            "select count(*) from (select exchange, market, symbol, open_at from marts.fct_candles "
            "where candle_interval = '1m' group by 1, 2, 3, 4 having count(*) > 1) as doubled"
        )
        == 0
    )

    # Files, funding rates and gaps are recorded; nothing was quarantined in the demo.
    assert scalar("select count(*) from raw_exchange.archive_files where status <> 'loaded'") == 0
    assert counts["raw_exchange.rejected_rows"] == 0
    assert counts["raw_exchange.funding_rates"] > 0
    # This checkout and the demo repository, every commit once.
    commits = commit_count(PROJECT_ROOT) + commit_count(data_dir / "demo" / "webshop")
    assert counts["raw_git.commits"] == commits
    assert counts["marts.fct_commits"] == commits

    check_engineering_marts(data_dir / "demo" / "webshop.github.json")

    # Incremental models equal a full rebuild, row for row: the one-minute candles (the second
    # run replaced the REST minutes of 03-02 with the archive's), and the resampled candles.
    built = mart_content_hashes()
    one_minute_rows = "select * from intermediate.int_markets__candles_1m"
    incremental_minutes = sorted(rows(one_minute_rows))
    incremental = sorted(rows(f"select {CANDLE_COLUMNS} from marts.fct_candles"))
    run_dbt(warehouse, "run", "--full-refresh", "--select", "int_markets__candles_1m fct_candles")
    assert sorted(rows(one_minute_rows)) == incremental_minutes
    assert sorted(rows(f"select {CANDLE_COLUMNS} from marts.fct_candles")) == incremental

    # Nothing new: the same warehouse, and the same marts value for value, doubles to the last
    # bit (sums of doubles are exact, whatever order the threads add them in).
    assert materialize_warehouse(instance).success
    assert table_row_counts() == counts
    assert mart_content_hashes() == built
