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
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from demo import DEMO_NOW
from demo.exchange.candles import (
    DEFAULT_MAINTENANCE,
    MINUTE_MS,
    Candle,
    kline_rows,
    parse_window,
    profile_for,
    resample,
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


def kline_csv(market: str, interval: str, candles: Sequence[Candle], period_start: date) -> bytes:
    """The CSV inside one kline zip, formatted as the archive formats it (header row for
    futures, microseconds for spot from 2025 on)."""
    micro = uses_microseconds(market, period_start)
    interval_ms = INTERVAL_MILLISECONDS[interval]
    scale = 1_000 if micro else 1
    close_offset = interval_ms * scale - 1
    out = io.StringIO()
    if market != "spot":
        out.write(",".join(KLINE_COLUMNS).replace("trade_count", "count") + "\n")
    rows = candles if interval_ms == MINUTE_MS else resample(candles, interval_ms)
    for open_ms, o, h, lo, c, v, qv, n, tbv, tbqv in rows:
        open_time = open_ms * scale
        out.write(
            f"{open_time},{o:.8f},{h:.8f},{lo:.8f},{c:.8f},{v:.8f},{open_time + close_offset},"
            f"{qv:.8f},{n},{tbv:.8f},{tbqv:.8f},0\n"
        )
    return out.getvalue().encode()


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


def zip_bytes(member_name: str, content: bytes, stamp: date) -> bytes:
    """A zip holding one file, with a fixed timestamp so that equal content gives equal bytes."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo(member_name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, content)
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
) -> list[Path]:
    """Write the archive as it stands at ``now``: monthly files for the months from ``start``'s
    to the one before ``now``'s, daily files for the days of ``now``'s month before its day,
    funding rates for futures markets; each zip with its ``.CHECKSUM``. Return the zip paths.

    Existing files are kept unless ``overwrite`` is set (they are deterministic anyway).
    """
    windows = [parse_window(window) for window in maintenance]
    current = Month.of(now.date())
    months = [m for m in months_between(Month.of(start), current) if m < current]
    days = days_between(max(start, current.first_day), now.date() - timedelta(days=1))
    written = []

    for symbol in symbols:
        for month in [*months, *([current] if days else [])]:
            month_minutes: list[Candle] | None = None  # generated once, when first needed
            for market in markets:
                planned = []
                for interval in intervals:
                    if month == current:
                        planned += [
                            (daily.path, interval, day)
                            for day in days
                            for daily in daily_klines(market, symbol, interval, day)
                        ]
                    else:
                        planned.append(
                            (monthly_klines_path(market, symbol, interval, month), interval, None)
                        )
                if market in FUTURES_MARKETS and month != current:
                    path = root / funding_rate_path(market, symbol, month)
                    _write_zip(path, funding_rate_csv(symbol, month), month.first_day, overwrite)
                    written.append(path)
                for relative, interval, day in planned:
                    path = root / relative
                    written.append(path)
                    if path.exists() and not overwrite:
                        continue
                    if month_minutes is None:
                        month_minutes = list(kline_rows(symbol, month, windows))
                    rows = month_minutes
                    if day is not None:
                        day_start = int(datetime.combine(day, time(), UTC).timestamp() * 1000)
                        rows = [r for r in rows if day_start <= r[0] < day_start + 86_400_000]
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
    )
    print(f"mirror: {len(paths)} files under {args.root}")


if __name__ == "__main__":
    main()
