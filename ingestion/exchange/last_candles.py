"""Where each candle series stopped: the newest open time loaded per series.

Kept in the source's state (``last_open_time``, committed with the data), so the REST tail and
ccxt start after the last candle any feed loaded, the archive's included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from ingestion.exchange.layout import INTERVAL_MILLISECONDS


def series_key(exchange: str, market: str, symbol: str, interval: str) -> str:
    """The state key of one series: ``binance|spot|BTCUSDT|1m``."""
    return f"{exchange}|{market}|{symbol}|{interval}"


def remember_last_candles(last_open: dict[str, str], table: pa.Table) -> None:
    """Record the newest open time of each series in ``table`` (usually a single series)."""
    if table.num_rows == 0:
        return
    series = table.group_by(["exchange", "market", "symbol", "interval"]).aggregate(
        [("open_time", "max")]
    )
    for row in series.to_pylist():
        key = series_key(row["exchange"], row["market"], row["symbol"], row["interval"])
        newest = row["open_time_max"].isoformat()
        if key not in last_open or datetime.fromisoformat(last_open[key]) < row["open_time_max"]:
            last_open[key] = newest


def tail_start(last_open: Mapping[str, str], key: str, interval: str, start: date) -> datetime:
    """Where a series' tail starts: one interval after its last candle, else at ``start``."""
    if key in last_open:
        step = timedelta(milliseconds=INTERVAL_MILLISECONDS[interval])
        return datetime.fromisoformat(last_open[key]) + step
    return datetime.combine(start, datetime.min.time(), UTC)
