"""A deterministic local mirror of the Binance public archive, for offline runs and tests.

It writes the archive's real layout and formats: monthly 1m kline zips without header rows for
spot (USD-M futures files carry one), a ``.CHECKSUM`` file beside each zip, microsecond
timestamps in spot files from 2025-01-01 on, and monthly funding rates of futures. The candles
come from :mod:`demo.exchange.candles`. The same arguments always give byte-identical files::

    python -m demo.exchange.mirror data/mirror --symbols BTCUSDT,ETHUSDT \\
        --start 2024-12-01 --now 2025-03-03T12:00:00+00:00
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from demo import DEMO_NOW
from demo.exchange.candles import (
    DEFAULT_MAINTENANCE,
    MINUTE_MS,
    UNITS_PER_ONE,
    MonthKlines,
    month_klines,
    parse_window,
    profile_for,
    seed_of,
)
from ingestion.exchange.defaults import (
    DEFAULT_INTERVALS,
    DEFAULT_MARKETS,
    DEFAULT_START_DATE,
    DEFAULT_SYMBOLS,
)
from ingestion.exchange.layout import (
    FUNDING_RATE_COLUMNS,
    FUTURES_MARKETS,
    INTERVAL_MILLISECONDS,
    KLINE_COLUMNS,
    Month,
    daily_klines,
    days_between,
    funding_rate_path,
    monthly_klines_path,
    months_between,
    uses_microseconds,
)


def resampled(klines: MonthKlines, interval_ms: int) -> MonthKlines:
    """Candles of a longer interval from one-minute candles (UTC-aligned buckets), as the
    exchange computes them: first open, highest high, lowest low, last close, and the exact sums
    of the one-minute volumes (integers of 10⁻⁸)."""
    if interval_ms == MINUTE_MS or not len(klines):
        return klines
    bucket = klines.open_ms - klines.open_ms % interval_ms
    first = np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]]))
    last = np.concatenate([first[1:] - 1, [len(bucket) - 1]])
    return MonthKlines(
        open_ms=bucket[first],
        open=klines.open[first],
        high=np.maximum.reduceat(klines.high, first),
        low=np.minimum.reduceat(klines.low, first),
        close=klines.close[last],
        volume=np.add.reduceat(klines.volume, first),
        quote_volume=np.add.reduceat(klines.quote_volume, first),
        trades=np.add.reduceat(klines.trades, first),
        taker_buy_volume=np.add.reduceat(klines.taker_buy_volume, first),
        taker_buy_quote_volume=np.add.reduceat(klines.taker_buy_quote_volume, first),
    )


def _decimal_text(units: np.ndarray) -> pa.Array:
    """Non-negative integers of 10⁻⁸ as the archive prints them: ``123.45000000``."""
    whole = pc.cast(pa.array(units // UNITS_PER_ONE), pa.string())
    fraction = pc.cast(pa.array(units % UNITS_PER_ONE + UNITS_PER_ONE), pa.string())
    return pc.binary_join_element_wise(whole, pc.utf8_slice_codeunits(fraction, 1), ".")


def kline_csv(market: str, interval: str, klines: MonthKlines, period_start: date) -> bytes:
    """The CSV inside one kline zip, formatted as the archive formats it (header row for
    futures, microseconds for spot from 2025 on)."""
    scale = 1_000 if uses_microseconds(market, period_start) else 1
    interval_ms = INTERVAL_MILLISECONDS[interval]
    rows = resampled(klines, interval_ms)
    open_time = rows.open_ms * scale
    table = pa.table(
        [
            open_time,
            _decimal_text(rows.open),
            _decimal_text(rows.high),
            _decimal_text(rows.low),
            _decimal_text(rows.close),
            _decimal_text(rows.volume),
            open_time + (interval_ms * scale - 1),
            _decimal_text(rows.quote_volume),
            rows.trades,
            _decimal_text(rows.taker_buy_volume),
            _decimal_text(rows.taker_buy_quote_volume),
            np.zeros(len(rows), dtype=np.int8),
        ],
        names=list(KLINE_COLUMNS),
    )
    out = io.BytesIO()
    if market != "spot":
        out.write((",".join(KLINE_COLUMNS).replace("trade_count", "count") + "\n").encode())
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    pa_csv.write_csv(table, out, options)
    return out.getvalue()


def funding_rate_csv(symbol: str, month: Month) -> bytes:
    """A month of funding rates as the archive writes them: every 8 hours (4 hours for quiet
    symbols from February 2025 on, as Binance switches intervals per symbol), with a header."""
    rng = random.Random(seed_of(symbol, "funding", month))
    quiet = profile_for(symbol).quiet_minute_share > 0
    out = io.StringIO()
    out.write(",".join(FUNDING_RATE_COLUMNS) + "\n")
    start_ms = int(month.start.timestamp() * 1000)
    end_ms = int(month.next().start.timestamp() * 1000)
    hours = 4 if quiet and month >= Month(2025, 2) else 8
    for calc_time in range(start_ms, end_ms, hours * 3_600_000):
        rate = round(rng.gauss(0.0001, 0.00008), 8)
        out.write(f"{calc_time},{hours},{rate:.8f}\n")
    return out.getvalue().encode()


ZIP_LEVEL = 1
"""zlib's fastest level: random prices hardly compress better at higher levels (the zips are
about 15% larger than at level 6), which cost four times the time."""


def zip_bytes(member_name: str, content: bytes, stamp: date) -> bytes:
    """A zip holding one file, with a fixed timestamp so that equal content gives equal bytes."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo(member_name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, content, compresslevel=ZIP_LEVEL)
    return buffer.getvalue()


def checksum_body(zip_content: bytes, zip_name: str) -> str:
    """The body of a ``.CHECKSUM`` file, as ``sha256sum`` writes it."""
    return f"{hashlib.sha256(zip_content).hexdigest()}  {zip_name}\n"


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it over ``path``: a
    run killed meanwhile leaves no half-written file that later runs would keep."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(content)
    os.replace(temp, path)


def _write_zip(path: Path, csv: bytes, stamp: date, overwrite: bool) -> None:
    """Write a zip and then its ``.CHECKSUM``; a zip with its checksum is complete."""
    checksum_path = path.with_name(path.name + ".CHECKSUM")
    if path.exists() and checksum_path.exists() and not overwrite:
        return
    content = zip_bytes(path.name.removesuffix(".zip") + ".csv", csv, stamp)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, content)
    _write_atomically(checksum_path, checksum_body(content, path.name).encode())


def write_mirror(
    root: Path,
    symbols: Sequence[str],
    start: date,
    now: datetime,
    markets: Sequence[str] = ("spot",),
    intervals: Sequence[str] = ("1m",),
    maintenance: Sequence[str] = DEFAULT_MAINTENANCE,
    overwrite: bool = False,
    jobs: int | None = None,
) -> list[Path]:
    """Write the archive as it stands at ``now``: monthly files for the months from ``start``'s
    to the one before ``now``'s, daily files for the days of ``now``'s month before its day,
    funding rates for futures markets; each zip with its ``.CHECKSUM``. Return the zip paths.

    Existing files are kept unless ``overwrite`` is set (they are deterministic anyway). Up to
    ``jobs`` threads (default: one per core) write a symbol's month each; numpy, Arrow and zlib
    release the GIL, so they run in parallel.
    """
    windows = tuple(parse_window(window) for window in maintenance)
    current = Month.of(now.date())
    months = [m for m in months_between(Month.of(start), current) if m < current]
    days = days_between(max(start, current.first_day), now.date() - timedelta(days=1))
    plan = [
        _MonthPlan(root, symbol, month, markets, intervals, days if month == current else [])
        for symbol in symbols
        for month in [*months, *([current] if days else [])]
    ]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        written = pool.map(lambda month: month.write(windows, overwrite), plan)
        return [path for paths in written for path in paths]


@dataclass(frozen=True)
class _MonthPlan:
    """The files of one symbol's month: monthly ones, or the daily ones of ``days``."""

    root: Path
    symbol: str
    month: Month
    markets: Sequence[str]
    intervals: Sequence[str]
    days: Sequence[date]

    def write(self, windows: Sequence[tuple[int, int]], overwrite: bool) -> list[Path]:
        symbol, month = self.symbol, self.month
        minutes: MonthKlines | None = None  # generated once, when first needed
        written = []
        for market in self.markets:
            planned = []
            for interval in self.intervals:
                if self.days:
                    planned += [
                        (daily.path, interval, day)
                        for day in self.days
                        for daily in daily_klines(market, symbol, interval, day)
                    ]
                else:
                    path = monthly_klines_path(market, symbol, interval, month)
                    planned.append((path, interval, None))
            if market in FUTURES_MARKETS and not self.days:
                path = self.root / funding_rate_path(market, symbol, month)
                _write_zip(path, funding_rate_csv(symbol, month), month.first_day, overwrite)
                written.append(path)
            for relative, interval, day in planned:
                path = self.root / relative
                written.append(path)
                if path.exists() and not overwrite:
                    continue
                if minutes is None:
                    minutes = month_klines(symbol, month, windows)
                rows = minutes
                if day is not None:
                    day_start = int(datetime.combine(day, time(), UTC).timestamp() * 1000)
                    offset = rows.open_ms - day_start
                    rows = rows.take((offset >= 0) & (offset < 86_400_000))
                stamp = day or month.first_day
                _write_zip(path, kline_csv(market, interval, rows, stamp), stamp, overwrite)
        return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="folder to write the mirror into")
    parser.add_argument("--symbols", default=",".join(DEFAULT_SYMBOLS))
    parser.add_argument("--markets", default=",".join(DEFAULT_MARKETS), help="spot, um, cm")
    parser.add_argument("--intervals", default=",".join(DEFAULT_INTERVALS), help="1m, 1h, 1d...")
    parser.add_argument("--start", default=DEFAULT_START_DATE, help="first day, YYYY-MM-DD")
    parser.add_argument("--now", default=DEMO_NOW, help="the archive as it stands at this time")
    parser.add_argument(
        "--maintenance",
        action="append",
        help="exchange-wide outage START/END in UTC ISO time (repeatable); "
        f"default {DEFAULT_MAINTENANCE[0]}",
    )
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--jobs", type=int, help="parallel writers (default: one per core)")
    args = parser.parse_args(argv)
    paths = write_mirror(
        args.root,
        symbols=args.symbols.split(","),
        start=date.fromisoformat(args.start),
        now=datetime.fromisoformat(args.now),
        markets=args.markets.split(","),
        intervals=args.intervals.split(","),
        maintenance=args.maintenance or DEFAULT_MAINTENANCE,
        overwrite=args.overwrite,
        jobs=args.jobs,
    )
    print(f"mirror: {len(paths)} files under {args.root}")


if __name__ == "__main__":
    main()
