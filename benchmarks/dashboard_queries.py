"""Dashboard benchmark: typical BI queries on the published copy of marts built from >= 1M
one-minute candles, against the same figures computed from the intermediate layer of the writer's
DuckDB file (what a dashboard would cost without the marts).

``python -m benchmarks.dashboard_queries`` (``make bench``). It loads the exchange benchmark's
archive (2 x 527,040 candles, generated once and kept under ``<data>/bench/exchange``) into
``<data>/bench/dashboard/tributary.duckdb``, builds the market marts with ``dbt build``, publishes
the BI copy as the ``bi/marts_copy`` asset does, then runs each query ``--repeat`` times through
SQLAlchemy and duckdb-engine (as Superset and Evidence connect), on the BI copy, on its Parquet
files, and on the writer's file. The warehouse is kept between runs (``--rebuild`` starts over).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
from sqlalchemy.pool import StaticPool

from benchmarks.exchange_load import NOW, archive_source, prepare_archive
from benchmarks.measure import Stopwatch, dbt_on_duckdb
from ingestion.warehouse import data_dir, make_pipeline
from orchestration.bi_copy import publish_bi_copy

TARGET_P95_MS = 50.0
ARCHIVE_END = "2024-12-31"
MARKET_MARTS = "+path:models/marts/markets"
SYMBOL = "BTCUSDT"


@dataclass(frozen=True)
class DashboardQuery:
    """A dashboard figure: its query on the marts, and the same figure from the minutes."""

    name: str
    description: str
    marts_sql: str
    reference_sql: str


# The reference computes each figure as a dashboard without marts would: from the one-minute
# candles of the intermediate layer (a view over the raw table, with source precedence).
MINUTES = "intermediate.int_markets__candles_1m"
DAILY_FROM_MINUTES = f"""
    select symbol, cast(open_at as date) as trading_date,
        arg_min(open_price, open_at) as open_price, max(high_price) as high_price,
        min(low_price) as low_price, arg_max(close_price, open_at) as close_price,
        sum(quote_volume) as quote_volume
    from {MINUTES} where market = 'spot' group by 1, 2
"""
QUERIES = (
    DashboardQuery(
        "latest_hourly_candles",
        f"the last 7 days of {SYMBOL} at 1h (a candlestick chart)",
        f"""select open_at, open_price, high_price, low_price, close_price, base_volume
            from marts.fct_candles
            where market = 'spot' and symbol = '{SYMBOL}' and candle_interval = '1h'
            order by open_at desc limit 168""",
        f"""select date_trunc('hour', open_at) as open_at, arg_min(open_price, open_at),
                max(high_price), min(low_price), arg_max(close_price, open_at), sum(base_volume)
            from {MINUTES} where market = 'spot' and symbol = '{SYMBOL}'
            group by 1 order by 1 desc limit 168""",
    ),
    DashboardQuery(
        "intraday_15m",
        f"one day of {SYMBOL} at 15m",
        f"""select open_at, open_price, high_price, low_price, close_price, quote_volume
            from marts.fct_candles
            where market = 'spot' and symbol = '{SYMBOL}' and candle_interval = '15m'
                and open_at >= '2024-12-30' and open_at < '2024-12-31'
            order by open_at""",
        f"""select time_bucket(interval 15 minute, open_at) as open_at,
                arg_min(open_price, open_at), max(high_price), min(low_price),
                arg_max(close_price, open_at), sum(quote_volume)
            from {MINUTES} where market = 'spot' and symbol = '{SYMBOL}'
                and open_at >= '2024-12-30' and open_at < '2024-12-31'
            group by 1 order by 1""",
    ),
    DashboardQuery(
        "market_overview",
        "every symbol's days in a quarter: close, return, volume, volatility (a table)",
        """select trading_date, symbol, close_price, simple_return, quote_volume,
                realized_volatility_annualized
            from marts.fct_market_daily
            where trading_date between '2024-10-01' and '2024-12-31'
            order by trading_date, symbol""",
        f"""with daily as ({DAILY_FROM_MINUTES})
            select trading_date, symbol, close_price,
                close_price / lag(close_price) over (partition by symbol order by trading_date)
                    - 1 as simple_return,
                quote_volume
            from daily where trading_date between '2024-10-01' and '2024-12-31'
            order by trading_date, symbol""",
    ),
    DashboardQuery(
        "monthly_volume",
        "quote volume per symbol and month (a bar chart)",
        """select date_trunc('month', trading_date) as month, symbol, sum(quote_volume)
            from marts.fct_market_daily group by 1, 2 order by 1, 2""",
        f"""select date_trunc('month', open_at) as month, symbol, sum(quote_volume)
            from {MINUTES} group by 1, 2 order by 1, 2""",
    ),
    DashboardQuery(
        "indicators",
        f"{SYMBOL}'s daily close with SMA 20/50, RSI 14 and MACD (a line chart)",
        f"""select trading_date, close_price, sma_20, sma_50, rsi_14, macd_line, macd_signal
            from marts.fct_technical_indicators
            where market = 'spot' and symbol = '{SYMBOL}' order by trading_date""",
        f"""with daily as ({DAILY_FROM_MINUTES})
            select trading_date, close_price,
                avg(close_price) over (order by trading_date rows 19 preceding) as sma_20,
                avg(close_price) over (order by trading_date rows 49 preceding) as sma_50
            from daily where symbol = '{SYMBOL}' order by trading_date""",
    ),
    DashboardQuery(
        "risk_latest",
        "each symbol's latest drawdown, volatility and Sharpe (KPI tiles)",
        """select symbol, trading_date, drawdown, max_drawdown, volatility_30d_annualized,
                sharpe_30d
            from marts.fct_risk_metrics
            where trading_date = (select max(trading_date) from marts.fct_risk_metrics)
            order by symbol""",
        f"""with daily as ({DAILY_FROM_MINUTES}),
            drawdowns as (
                select symbol, trading_date,
                    close_price / max(close_price) over (
                        partition by symbol order by trading_date) - 1 as drawdown
                from daily
            )
            select symbol, max(trading_date), arg_max(drawdown, trading_date), min(drawdown)
            from drawdowns group by symbol order by symbol""",
    ),
    DashboardQuery(
        "gaps_summary",
        "missing minutes per symbol and reason (data quality)",
        """select symbol, gap_reason, count(*) as gaps, sum(missing_minute_count) as minutes
            from marts.fct_candle_gaps group by 1, 2 order by 1, 2""",
        """select symbol, gap_reason, count(*) as gaps, sum(missing_minute_count) as minutes
            from intermediate.int_markets__candle_gaps group by 1, 2 order by 1, 2""",
    ),
    DashboardQuery(
        "symbols",
        "the symbol picker: symbols with their first and last candle",
        """select exchange, market, symbol, first_candle_at, last_candle_at, candle_count
            from marts.dim_symbols order by 1, 2, 3""",
        f"""select exchange, market, symbol, min(open_at), max(open_at), count(*)
            from {MINUTES} group by 1, 2, 3 order by 1, 2, 3""",
    ),
)


def bench_dir() -> Path:
    return data_dir() / "bench" / "dashboard"


def warehouse_path() -> Path:
    return bench_dir() / "tributary.duckdb"  # dbt-duckdb wants the stem `tributary`


def load_candles(database: Path) -> int:
    """The exchange source over the benchmark archive into ``raw_exchange.klines``."""
    import dlt

    from ingestion.exchange import RejectedFiles

    os.environ.setdefault("LOAD__DELETE_COMPLETED_JOBS", "true")
    rejected = RejectedFiles()
    make_pipeline(
        "bench_dashboard",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name="raw_exchange",
        pipelines_dir=str(bench_dir() / "dlt"),
    ).run(archive_source(ARCHIVE_END, rejected, funding_rates=False))
    rejected.raise_if_any()
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("select count(*) from raw_exchange.klines").fetchone()[0]


def build_marts(database: Path) -> None:
    """``dbt build`` of the market marts, their parents, seeds and data tests."""
    dbt_on_duckdb(
        database,
        bench_dir() / "dbt_target",
        "build", "--select", MARKET_MARTS, "--exclude-resource-type", "unit_test",
    )  # fmt: skip


def prepare_warehouse(rebuild: bool) -> int:
    """The writer's DuckDB file with the market marts built; kept between runs."""
    marker = bench_dir() / "built.json"
    if not rebuild and marker.exists() and warehouse_path().exists():
        return int(json.loads(marker.read_text())["candles"])
    shutil.rmtree(bench_dir(), ignore_errors=True)
    bench_dir().mkdir(parents=True)
    print("Preparing the archive (generated once, then kept)...", flush=True)
    prepare_archive(NOW, unzip=False)
    with Stopwatch() as load:
        candles = load_candles(warehouse_path())
    print(f"  loaded {candles:,} one-minute candles in {load.seconds:.1f} s", flush=True)
    with Stopwatch() as build:
        build_marts(warehouse_path())
    print(f"  dbt build of the market marts: {build.seconds:.1f} s", flush=True)
    marker.write_text(json.dumps({"candles": candles}))
    return candles


def duckdb_engine(path: str, **connect_args: object) -> sqlalchemy.Engine:
    """One SQLAlchemy engine on one DuckDB connection, as a BI tool's connection pool keeps."""
    return sqlalchemy.create_engine(
        f"duckdb:///{path}", connect_args=connect_args, poolclass=StaticPool
    )


def parquet_engine(parquet_dir: Path) -> sqlalchemy.Engine:
    """An in-memory DuckDB whose ``marts`` schema holds a view per Parquet file."""
    engine = duckdb_engine(":memory:")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("create schema marts"))
        for path in sorted(parquet_dir.glob("*.parquet")):
            connection.execute(
                sqlalchemy.text(
                    f"create view marts.{path.stem} as select * from read_parquet('{path}')"
                )
            )
    return engine


def time_query(engine: sqlalchemy.Engine, sql: str, repeat: int) -> tuple[list[float], int]:
    """Milliseconds of each of ``repeat`` runs (after two warm-up runs) and the rows returned."""
    statement = sqlalchemy.text(sql)
    timings: list[float] = []
    with engine.connect() as connection:
        for run in range(repeat + 2):
            started = time.perf_counter()
            rows = connection.execute(statement).fetchall()
            if run >= 2:
                timings.append((time.perf_counter() - started) * 1000)
    return timings, len(rows)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of each query")
    parser.add_argument(
        "--reference-repeat", type=int, default=5, help="timed runs of each reference query"
    )
    parser.add_argument("--rebuild", action="store_true", help="load and build from scratch")
    args = parser.parse_args()

    print("Dashboard benchmark: marts from >= 1M one-minute candles", flush=True)
    candles = prepare_warehouse(args.rebuild)
    assert candles >= 1_000_000, candles
    copy = publish_bi_copy(warehouse_path(), bench_dir() / "bi" / "tributary.duckdb")
    print(
        f"  {candles:,} candles; BI copy of {len(copy.rows)} marts "
        f"({sum(copy.rows.values()):,} rows, {copy.bytes / 1e6:.0f} MB with Parquet) "
        f"published in {copy.seconds:.2f} s"
    )

    engines: dict[str, Callable[[], sqlalchemy.Engine]] = {
        "bi_copy": lambda: duckdb_engine(str(copy.path), read_only=True),
        "parquet": lambda: parquet_engine(copy.parquet_dir or Path()),
        "reference": lambda: duckdb_engine(str(warehouse_path()), read_only=True),
    }
    timings: dict[str, dict[str, list[float]]] = {name: {} for name in engines}
    rows: dict[str, dict[str, int]] = {name: {} for name in engines}
    for target, make_engine in engines.items():
        engine = make_engine()
        for query in QUERIES:
            sql = query.reference_sql if target == "reference" else query.marts_sql
            repeat = args.reference_repeat if target == "reference" else args.repeat
            timings[target][query.name], rows[target][query.name] = time_query(engine, sql, repeat)
        engine.dispose()
    assert rows["parquet"] == rows["bi_copy"], rows

    print(
        f"\nQuery latency through SQLAlchemy + duckdb-engine, ms ({args.repeat} runs each, "
        f"reference {args.reference_repeat}):"
    )
    header = (
        f"  {'query':<22} {'rows':>5} {'copy p50':>9} {'copy p95':>9} {'parquet p50':>12} "
        f"{'reference p50':>14} {'ratio':>8}"
    )
    print(header)
    for query in QUERIES:
        ours, parquet, reference = (timings[t][query.name] for t in engines)
        ratio = statistics.median(reference) / statistics.median(ours)
        print(
            f"  {query.name:<22} {rows['bi_copy'][query.name]:5d} "
            f"{statistics.median(ours):9.2f} {percentile(ours, 0.95):9.2f} "
            f"{statistics.median(parquet):12.2f} {statistics.median(reference):14.2f} "
            f"{ratio:7.0f}x"
        )
    every = {t: [ms for runs in timings[t].values() for ms in runs] for t in engines}
    ours = every["bi_copy"]
    p95 = percentile(ours, 0.95)
    print(
        f"  {'all queries':<22} {'':5} {statistics.median(ours):9.2f} {p95:9.2f} "
        f"{statistics.median(every['parquet']):12.2f} "
        f"{statistics.median(every['reference']):14.2f} "
        f"{statistics.median(every['reference']) / statistics.median(ours):7.0f}x"
    )
    print(
        f"  BI copy p95 over all queries: {p95:.1f} ms (target < {TARGET_P95_MS:.0f} ms): "
        f"{'met' if p95 < TARGET_P95_MS else 'NOT met'}. Ratio: the reference's median (the "
        "same figure from one-minute candles on the writer's file) / the copy's median."
    )


if __name__ == "__main__":
    main()
