"""Exchange benchmark: load ≥ 1M one-minute candles from the archive into DuckDB, against DuckDB's
own ``read_csv`` of the same unzipped CSVs; then an incremental ``dbt build`` after one new day
against a full build.

``python -m benchmarks.exchange_load`` (``make bench``). Data lives under
``<data>/bench/exchange``; the generated archive is kept between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.measure import Measurement, Stopwatch, dbt_on_duckdb, report, run_phase
from ingestion.warehouse import data_dir, make_pipeline

if TYPE_CHECKING:
    from ingestion.exchange import RejectedFiles

MODULE = "benchmarks.exchange_load"
SYMBOLS = ("BTCUSDT", "ETHUSDT")
START = date(2024, 1, 1)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
"""Twelve closed months of two symbols: 2 x 527,040 one-minute candles."""
NEW_DAY_NOW = datetime(2025, 1, 2, tzinfo=UTC)
"""One more day: the archive then also has the daily files of 2025-01-01."""
KLINE_COLUMNS = {
    "open_time": "BIGINT",
    "open": "DECIMAL(38,8)",
    "high": "DECIMAL(38,8)",
    "low": "DECIMAL(38,8)",
    "close": "DECIMAL(38,8)",
    "volume": "DECIMAL(38,8)",
    "close_time": "BIGINT",
    "quote_volume": "DECIMAL(38,8)",
    "trade_count": "BIGINT",
    "taker_buy_volume": "DECIMAL(38,8)",
    "taker_buy_quote_volume": "DECIMAL(38,8)",
    "ignore": "VARCHAR",
}


def bench_dir() -> Path:
    return data_dir() / "bench" / "exchange"


def mirror_dir() -> Path:
    return bench_dir() / "mirror"


def csv_dir() -> Path:
    return bench_dir() / "csv"


def prepare_archive(now: datetime, unzip: bool = True) -> int:
    """Generate the archive as of ``now`` (kept between runs) and unzip its CSVs for the
    reference; return the candle count."""
    from demo.exchange.mirror import write_mirror

    paths = write_mirror(mirror_dir(), SYMBOLS, START, now, markets=("spot",), intervals=("1m",))
    if not unzip:
        return 0
    csv_dir().mkdir(parents=True, exist_ok=True)
    lines = 0
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            target = csv_dir() / member
            if not target.exists():
                archive.extract(member, csv_dir())
        with target.open("rb") as csv:
            lines += sum(1 for _ in csv)
    return lines


def phase_reference(database: str) -> None:
    """DuckDB's own CSV reader over the unzipped files, into a table."""
    import duckdb

    files = sorted(str(path) for path in csv_dir().glob("*.csv"))
    with Stopwatch() as watch:
        connection = duckdb.connect(database)
        connection.execute(
            "create table klines as select * from read_csv(?, header = false, columns = ?)",
            [files, KLINE_COLUMNS],
        )
        rows = connection.execute("select count(*) from klines").fetchone()[0]
        connection.close()
    report(watch.seconds, rows=rows)


def _pipeline(database: str):  # noqa: ANN202 (dlt.Pipeline, imported lazily)
    import dlt

    return make_pipeline(
        "bench_exchange",
        destination=dlt.destinations.duckdb(database),
        dataset_name="raw_exchange",
        pipelines_dir=str(bench_dir() / "dlt"),
    )


def archive_source(end: str, rejected: RejectedFiles, **settings: Any) -> list[Any]:
    """The exchange source over the generated archive folder: spot one-minute candles of
    ``SYMBOLS`` up to ``end``, no REST tail."""
    from ingestion.exchange import exchange_source

    return exchange_source(
        archive_base_url=str(mirror_dir()),
        spot_api_url="",
        usdm_api_url="",
        markets=["spot"],
        symbols=list(SYMBOLS),
        intervals=["1m"],
        start_date=START.isoformat(),
        end_date=end,
        rejected=rejected,
        **settings,
    )


def phase_load(database: str, end: str) -> None:
    """Tributary's exchange source over the archive folder into ``raw_exchange``."""
    os.environ["LOAD__DELETE_COMPLETED_JOBS"] = "true"
    from ingestion.exchange import RejectedFiles

    with Stopwatch() as watch:
        rejected = RejectedFiles()
        _pipeline(database).run(archive_source(end, rejected))
        rejected.raise_if_any()
    import duckdb

    with duckdb.connect(database, read_only=True) as connection:
        rows = connection.execute("select count(*) from raw_exchange.klines").fetchone()[0]
    report(watch.seconds, rows=rows)


def dbt_build(database: str, *extra: str) -> dict[str, float]:
    """Run ``dbt build`` of the market models; return wall seconds and per-model seconds."""
    target_path = bench_dir() / "dbt_target"
    with Stopwatch() as watch:
        dbt_on_duckdb(database, target_path, "build", "--select", "+fct_candles", *extra)
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    timings = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    return {"wall": watch.seconds, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phase", nargs="?", choices=["reference", "load"])
    parser.add_argument("--database")
    parser.add_argument("--end")
    args = parser.parse_args()
    if args.phase == "reference":
        return phase_reference(args.database)
    if args.phase == "load":
        return phase_load(args.database, args.end)

    print("Exchange benchmark: preparing the archive (generated once, then kept)...", flush=True)
    candles = prepare_archive(NOW)
    print(f"  {candles:,} one-minute candles in {len(list(csv_dir().glob('*.csv')))} files")
    work = bench_dir() / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.rmtree(bench_dir() / "dlt", ignore_errors=True)

    reference = run_phase(MODULE, "reference", "--database", str(work / "reference.duckdb"))
    ours = run_phase(
        MODULE, "load", "--database", str(work / "tributary.duckdb"), "--end", "2024-12-31"
    )
    assert ours.result["rows"] == reference.result["rows"] == candles, (ours, reference)

    def line(name: str, m: Measurement) -> str:
        rate = m.result["rows"] / m.seconds
        return f"  {name:<34} {m.seconds:7.2f} s  {rate:>12,.0f} rows/s  {m.peak_rss_mb:7.0f} MB"

    print("\nLoad into DuckDB (seconds, rows/s, peak RSS):")
    print(line("DuckDB read_csv of unzipped CSVs", reference))
    print(line("Tributary archive source (dlt)", ours))
    ratio = ours.seconds / reference.seconds
    print(f"  ratio: {ratio:.2f}x the reference (target <= 2x)")

    print("\ndbt: full build of fct_candles and its parents, then one new day incrementally")
    database = str(work / "tributary.duckdb")
    full = dbt_build(database, "--full-refresh")
    prepare_archive(NEW_DAY_NOW, unzip=False)
    new_day = run_phase(MODULE, "load", "--database", database, "--end", "2025-01-01")
    incremental = dbt_build(database)
    print(f"  load of the new day:      {new_day.seconds:6.2f} s ({new_day.result['rows']:,} rows)")
    print(
        f"  dbt build, full refresh:  {full['wall']:6.2f} s wall, "
        f"fct_candles {full['fct_candles']:.2f} s"
    )
    print(
        f"  dbt build, incremental:   {incremental['wall']:6.2f} s wall, "
        f"fct_candles {incremental['fct_candles']:.2f} s"
    )
    model_ratio = incremental["fct_candles"] / full["fct_candles"]
    print(
        f"  ratio: fct_candles {model_ratio:.1%} of its full build (target <= 10%); "
        f"whole invocation {incremental['wall'] / full['wall']:.1%} (includes dbt start-up)"
    )


if __name__ == "__main__":
    main()
