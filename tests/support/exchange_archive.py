"""The Binance-archive source run into a DuckDB file of its own, and what the tests read back.

The archive's paths and CSV headers, a generated mirror shared by a session, one run of the
exchange source (the archive only) through dlt into ``workdir``'s DuckDB, and queries of the
``raw_exchange`` tables it loads, with the expected rows computed from the mirror's CSV text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb

from demo.exchange.mirror import write_mirror
from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.warehouse import make_pipeline

from support.archive_zips import csv_lines

# --- the archive's layout -----------------------------------------------------------------------

PREFIX = {"spot": "data/spot", "um": "data/futures/um"}
KLINE_HEADER = (
    b"open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    b"taker_buy_volume,taker_buy_quote_volume,ignore"
)
FUNDING_HEADER = b"calc_time,funding_interval_hours,last_funding_rate"
KLINE_KEY = "exchange, market, symbol, interval, open_time, data_source"
RAW_TABLES = ("klines", "funding_rates", "archive_files", "rejected_rows")


def kline_path(market: str, symbol: str, period: str, interval: str = "1m") -> str:
    """Archive path of a kline zip; ``period`` is ``YYYY-MM`` (monthly) or ``YYYY-MM-DD``."""
    frequency = "monthly" if len(period) == 7 else "daily"
    name = f"{symbol}-{interval}-{period}.zip"
    return f"{PREFIX[market]}/{frequency}/klines/{symbol}/{interval}/{name}"


def funding_path(symbol: str, month: str) -> str:
    return f"data/futures/um/monthly/fundingRate/{symbol}/{symbol}-fundingRate-{month}.zip"


def shared_mirror(tmp_path_factory, name: str, **arguments: Any) -> Path:
    """A mirror under the session's temporary folder, generated once per session.

    ``write_mirror`` keeps files that exist, so a second call (from another test module) only
    lists them.
    """
    root = tmp_path_factory.getbasetemp() / name
    write_mirror(root, **arguments)
    return root


def data_lines(path: Path) -> list[bytes]:
    """The CSV lines of a zip without its header row (futures and funding files have one)."""
    lines = csv_lines(path)
    return lines[1:] if lines and lines[0] in (KLINE_HEADER, FUNDING_HEADER) else lines


# --- a run of the source, and the raw tables it loads -------------------------------------------


def exchange_pipeline(workdir: Path) -> dlt.Pipeline:
    """The test pipeline: its own working folder and DuckDB file under ``workdir``."""
    return make_pipeline(
        pipeline_name="exchange_test",
        destination=dlt.destinations.duckdb(str(workdir / "tributary.duckdb")),
        dataset_name="raw_exchange",
        pipelines_dir=str(workdir / "dlt"),
    )


def run_pipeline(workdir: Path, base_url: str, source_args: dict[str, Any]) -> RejectedFiles:
    """One run of the exchange source into ``workdir``'s DuckDB: the archive only (REST tail and
    ccxt off, whatever the environment configures)."""
    rejected = RejectedFiles()
    source = exchange_source(
        archive_base_url=base_url,
        spot_api_url="",
        usdm_api_url="",
        ccxt_exchanges={},
        rejected=rejected,
        **source_args,
    )
    exchange_pipeline(workdir).run(source)
    return rejected


def query(workdir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(workdir / "tributary.duckdb"), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def table_counts(workdir: Path) -> dict[str, int]:
    return {
        table: query(workdir, f"select count(*) from raw_exchange.{table}")[0][0]
        for table in RAW_TABLES
    }


def rows_per_file(workdir: Path, table: str = "klines") -> dict[str, int]:
    rows = query(workdir, f"select source_file, count(*) from raw_exchange.{table} group by all")
    return dict(rows)


def load_ids(workdir: Path) -> list[str]:
    """Completed loads, oldest first."""
    return [
        row[0] for row in query(workdir, "select load_id from raw_exchange._dlt_loads order by 1")
    ]


def duplicate_keys(workdir: Path) -> list[tuple]:
    return query(
        workdir,
        f"select {KLINE_KEY}, count(*) from raw_exchange.klines group by all having count(*) > 1",
    )


def microseconds_per_unit(path: str) -> int:
    """Spot files from 2025 on hold microseconds; everything else milliseconds."""
    spot_2025 = path.startswith("data/spot/") and "-2025-" in path
    return 1 if spot_2025 else 1_000


def expected_kline_rows(root: Path, path: str) -> list[tuple]:
    """A kline file's rows as the CSV text has them, instants in epoch microseconds."""
    return csv_kline_rows(data_lines(root / path), path)


def csv_kline_rows(lines: list[bytes], path: str) -> list[tuple]:
    """Kline CSV lines of the file at ``path`` as the tuples :func:`loaded_kline_rows` gives."""
    scale = microseconds_per_unit(path)
    rows = []
    for line in lines:
        f = line.decode().split(",")
        rows.append((int(f[0]) * scale, *f[1:6], int(f[6]) * scale, f[7], int(f[8]), f[9], f[10]))
    return rows


def loaded_kline_rows(workdir: Path, path: str) -> list[tuple]:
    """The rows loaded from one file, decimals as text (all eight decimals kept)."""
    return query(
        workdir,
        "select epoch_us(open_time), open::varchar, high::varchar, low::varchar, "
        "close::varchar, volume::varchar, epoch_us(close_time), quote_volume::varchar, "
        "trade_count, taker_buy_volume::varchar, taker_buy_quote_volume::varchar "
        "from raw_exchange.klines where source_file = ? order by open_time",
        [path],
    )
