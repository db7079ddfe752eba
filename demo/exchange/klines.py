"""Candles of every REST interval, as the local exchange serves them.

They come from the demo market's minute candles (:mod:`demo.exchange.candles`), the same the
archive mirror writes, so REST and archive agree minute by minute; longer intervals are aggregated
from the minutes with the mirror's arithmetic (weeks from Monday, months from the 1st). The
exchange's clock stands still at ``now``: later candles do not exist yet and the candle holding
``now`` holds only the minutes up to it (it is still open).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from demo.exchange.candles import Candle, kline_rows, parse_window, resample
from ingestion.exchange.layout import INTERVAL_MILLISECONDS, Month

WEEK_ORIGIN_MS = 4 * 86_400_000
"""Monday 1970-01-05 00:00 UTC: Binance's weekly candles open on Mondays."""
ONE_BUCKET = 2**62
"""An interval longer than any epoch value, so :func:`resample` makes one bucket."""
DEFAULT_LISTED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
"""Candles exist from this moment on (earlier requests get none)."""


_GENERATION_LOCK = threading.Lock()
"""One month is generated at a time: parallel requests for it wait instead of redoing it."""


def _month_candles(
    symbol: str, month: Month, windows: tuple[tuple[int, int], ...]
) -> tuple[list[int], list[Candle]]:
    with _GENERATION_LOCK:
        return _generated_month(symbol, month, windows)


@functools.lru_cache(maxsize=24)
def _generated_month(
    symbol: str, month: Month, windows: tuple[tuple[int, int], ...]
) -> tuple[list[int], list[Candle]]:
    """One month of 1m candles (the archive's generator) and their open times, cached."""
    candles = list(kline_rows(symbol, month, windows))
    return [candle[0] for candle in candles], candles


def _month_of_ms(epoch_ms: int) -> Month:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return Month(moment.year, moment.month)


def _month_start_ms(month: Month) -> int:
    return int(month.start.timestamp() * 1000)


def bucket_start(open_ms: int, interval: str) -> int:
    """Open time of the candle of ``interval`` (REST name) holding ``open_ms``: UTC-aligned,
    weeks from Monday, months from the 1st."""
    if interval == "1M":
        return _month_start_ms(_month_of_ms(open_ms))
    if interval == "1w":
        week = INTERVAL_MILLISECONDS["1w"]
        return (open_ms - WEEK_ORIGIN_MS) // week * week + WEEK_ORIGIN_MS
    length = INTERVAL_MILLISECONDS[interval]
    return open_ms - open_ms % length


def bucket_end(start_ms: int, interval: str) -> int:
    """Open time of the candle after the one opening at ``start_ms``."""
    if interval == "1M":
        return _month_start_ms(_month_of_ms(start_ms).next())
    return start_ms + INTERVAL_MILLISECONDS[interval]


def _aggregate(minutes: list[Candle], interval: str) -> list[Candle]:
    """Candles of ``interval`` from 1m candles, with the archive mirror's arithmetic."""
    if interval == "1m":
        return minutes
    if interval not in ("1w", "1M"):
        return resample(minutes, INTERVAL_MILLISECONDS[interval])
    aggregated: list[Candle] = []
    group: list[Candle] = []
    start = end = 0
    for candle in minutes:  # ascending
        if candle[0] >= end:
            if group:
                aggregated.append(_one_candle(group, start))
            start = bucket_start(candle[0], interval)
            end, group = bucket_end(start, interval), []
        group.append(candle)
    if group:
        aggregated.append(_one_candle(group, start))
    return aggregated


def _one_candle(group: list[Candle], start_ms: int) -> Candle:
    (candle,) = resample(group, ONE_BUCKET)
    return (start_ms, *candle[1:])


class CandleBook:
    """Candles of every symbol and REST interval, from the demo market's minute candles."""

    def __init__(self, maintenance: Sequence[str], listed_from: datetime) -> None:
        self.windows = tuple(parse_window(window) for window in maintenance)
        self.listed_from_ms = int(listed_from.timestamp() * 1000)

    def minutes(self, symbol: str, first_ms: int, last_ms: int) -> list[Candle]:
        """1m candles with ``first_ms <= open_time <= last_ms``."""
        first_ms = max(first_ms, self.listed_from_ms)
        if last_ms < first_ms:
            return []
        found: list[Candle] = []
        month = _month_of_ms(first_ms)
        while _month_start_ms(month) <= last_ms:
            opens, candles = _month_candles(symbol, month, self.windows)
            low = bisect.bisect_left(opens, first_ms)
            high = bisect.bisect_right(opens, last_ms)
            found.extend(candles[low:high])
            month = month.next()
        return found

    def klines(
        self,
        symbol: str,
        interval: str,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
        now_ms: int,
    ) -> list[Candle]:
        """What ``GET klines`` answers: up to ``limit`` candles opening from ``start_ms`` on, or
        the last ``limit`` opening up to ``end_ms`` (or now) when there is no start. Nothing opens
        after now, and the candle holding now holds the minutes up to now (it is still open)."""
        last_open_ms = now_ms if end_ms is None else min(end_ms, now_ms)
        until_ms = min(now_ms, bucket_end(bucket_start(last_open_ms, interval), interval) - 1)
        if start_ms is not None:
            first_ms = bucket_start(max(start_ms, self.listed_from_ms), interval)
            if first_ms < start_ms:
                first_ms = bucket_end(first_ms, interval)
            candles: list[Candle] = []
            chunk_start = first_ms
            while len(candles) < limit and chunk_start <= until_ms:
                chunk_end = min(until_ms, self._advance(chunk_start, interval, limit) - 1)
                candles += _aggregate(self.minutes(symbol, chunk_start, chunk_end), interval)
                chunk_start = chunk_end + 1
            return candles[:limit]
        # The most recent ones: widen the window backwards until it holds `limit` candles.
        span = limit
        while True:
            first_ms = bucket_start(self._retreat(last_open_ms, interval, span), interval)
            candles = _aggregate(self.minutes(symbol, first_ms, until_ms), interval)
            if len(candles) >= limit or first_ms <= self.listed_from_ms:
                return candles[-limit:]
            span *= 2

    @staticmethod
    def _advance(start_ms: int, interval: str, count: int) -> int:
        if interval == "1M":
            month = _month_of_ms(start_ms)
            for _ in range(count):
                month = month.next()
            return _month_start_ms(month)
        return start_ms + count * INTERVAL_MILLISECONDS[interval]

    @staticmethod
    def _retreat(end_ms: int, interval: str, count: int) -> int:
        length = 31 * 86_400_000 if interval == "1M" else INTERVAL_MILLISECONDS[interval]
        return end_ms - count * length
