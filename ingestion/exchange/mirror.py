"""A deterministic local mirror of the Binance public archive, for offline runs and tests.

It writes the archive's real layout and formats: monthly 1m kline zips without header rows for
spot (USD-M futures files carry one), a ``.CHECKSUM`` file beside each zip, and microsecond
timestamps in spot files from 2025-01-01 on. Prices follow a geometric random walk with realistic
volatility; a maintenance window and, for quiet symbols, minutes without trades leave real gaps
(no candle), as on the exchange. The same arguments always give byte-identical files::

    python -m ingestion.exchange.mirror data/mirror --symbols BTCUSDT,ETHUSDT \\
        --start 2024-12-01 --now 2025-03-03T12:00:00+00:00
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import os
import random
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ingestion.exchange.defaults import (
    DEFAULT_INTERVALS,
    DEFAULT_MARKETS,
    DEFAULT_START_DATE,
    DEFAULT_SYMBOLS,
    DEMO_NOW,
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

MINUTE_MS = 60_000
MINUTES_PER_YEAR = 365 * 24 * 60
ANCHOR_ORIGIN = Month(2024, 1)
"""Month-start prices are a random walk forwards and backwards from this month, so any month's
file is the same whatever range is generated."""

DEFAULT_MAINTENANCE = ("2025-01-15T02:00/2025-01-15T03:30",)


@dataclass(frozen=True)
class SymbolProfile:
    """How one symbol trades: price level, volatility, activity and price tick."""

    price_at_origin: float
    annual_volatility: float
    trades_per_minute: float
    mean_trade_size: float
    tick: float
    quiet_minute_share: float = 0.0
    """Share of minutes with no trade at all: the exchange emits no candle for them."""


PROFILES: dict[str, SymbolProfile] = {
    "BTCUSDT": SymbolProfile(42_000.0, 0.55, 1_400.0, 0.012, 0.01),
    "ETHUSDT": SymbolProfile(2_300.0, 0.70, 900.0, 0.35, 0.01),
    "SOLUSDT": SymbolProfile(100.0, 0.95, 450.0, 6.0, 0.01, quiet_minute_share=0.0005),
}


def profile_for(symbol: str) -> SymbolProfile:
    """The profile of a known symbol, or a quiet small-cap profile derived from the name."""
    if symbol in PROFILES:
        return PROFILES[symbol]
    rng = random.Random(_seed(symbol, "profile"))
    return SymbolProfile(
        price_at_origin=round(rng.uniform(0.5, 50.0), 4),
        annual_volatility=rng.uniform(0.8, 1.4),
        trades_per_minute=rng.uniform(3.0, 12.0),
        mean_trade_size=rng.uniform(50.0, 500.0),
        tick=0.0001,
        quiet_minute_share=0.05,
    )


def _seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _month_index(month: Month) -> int:
    return (month.year - ANCHOR_ORIGIN.year) * 12 + month.month - ANCHOR_ORIGIN.month


def month_start_log_price(symbol: str, month: Month) -> float:
    """Log price at the start of ``month``: a monthly random walk away from the origin month."""
    profile = profile_for(symbol)
    index = _month_index(month)
    rng = random.Random(_seed(symbol, "anchors", "forward" if index >= 0 else "backward"))
    sigma = profile.annual_volatility / math.sqrt(12)
    return math.log(profile.price_at_origin) + sum(rng.gauss(0.0, sigma) for _ in range(abs(index)))


def _parse_window(text: str) -> tuple[int, int]:
    start, end = (datetime.fromisoformat(part).replace(tzinfo=UTC) for part in text.split("/"))
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def kline_rows(
    symbol: str, month: Month, maintenance: Sequence[tuple[int, int]] = ()
) -> Iterator[tuple[int, float, float, float, float, float, float, int, float, float]]:
    """Minute candles of one month as ``(open_ms, o, h, l, c, volume, quote_volume, trades,
    taker_buy_volume, taker_buy_quote_volume)``.

    The log price runs as a Brownian bridge between two month-start anchors, so consecutive months
    join without a jump and each month depends on nothing but its symbol and date.
    """
    profile = profile_for(symbol)
    start_log = month_start_log_price(symbol, month)
    end_log = month_start_log_price(symbol, month.next())
    rng = random.Random(_seed(symbol, month))
    start_ms = int(month.start.timestamp() * 1000)
    minutes = (int(month.next().start.timestamp() * 1000) - start_ms) // MINUTE_MS
    sigma = profile.annual_volatility / math.sqrt(MINUTES_PER_YEAR)

    walk = [0.0]
    for _ in range(minutes):
        walk.append(walk[-1] + rng.gauss(0.0, sigma))
    drift = walk[-1] - (end_log - start_log)
    log_prices = [start_log + w - drift * i / minutes for i, w in enumerate(walk)]

    tick = profile.tick
    for minute in range(minutes):
        open_ms = start_ms + minute * MINUTE_MS
        wick_up, wick_down = abs(rng.gauss(0.0, sigma * 0.7)), abs(rng.gauss(0.0, sigma * 0.7))
        activity = rng.lognormvariate(0.0, 0.5)
        quiet = rng.random() < profile.quiet_minute_share
        if quiet or any(start <= open_ms < end for start, end in maintenance):
            continue
        open_ = round(math.exp(log_prices[minute]) / tick) * tick
        close = round(math.exp(log_prices[minute + 1]) / tick) * tick
        high = math.ceil(max(open_, close) * math.exp(wick_up) / tick) * tick
        low = max(tick, math.floor(min(open_, close) * math.exp(-wick_down) / tick) * tick)
        trades = max(1, round(profile.trades_per_minute * activity))
        volume = round(trades * profile.mean_trade_size * rng.lognormvariate(0.0, 0.3), 5)
        vwap = low + (high - low) * rng.uniform(0.3, 0.7)
        taker_share = rng.uniform(0.35, 0.65)
        yield (
            open_ms,
            open_,
            high,
            low,
            close,
            volume,
            round(volume * vwap, 8),
            trades,
            round(volume * taker_share, 5),
            round(volume * taker_share * vwap, 8),
        )


Volume = float | Decimal
"""A volume: a float as generated, an exact decimal once summed by :func:`resample`."""
Candle = tuple[int, float, float, float, float, Volume, Volume, int, Volume, Volume]
"""``(open_ms, open, high, low, close, volume, quote_volume, trades, taker_buy_volume,
taker_buy_quote_volume)``."""


def _exact_sum(values: Iterable[Volume]) -> Decimal:
    """The sum of values as the files print them (8 decimals), without float rounding."""
    return sum((Decimal(f"{value:.8f}") for value in values), Decimal(0))


def resample(candles: Sequence[Candle], interval_ms: int) -> list[Candle]:
    """Candles of a longer interval from one-minute candles (UTC-aligned buckets), as the
    exchange computes them: first open, highest high, lowest low, last close, and the exact sums
    of the one-minute volumes as printed."""
    buckets: dict[int, list[Candle]] = {}
    for candle in candles:
        buckets.setdefault(candle[0] - candle[0] % interval_ms, []).append(candle)
    return [
        (
            start,
            group[0][1],
            max(c[2] for c in group),
            min(c[3] for c in group),
            group[-1][4],
            _exact_sum(c[5] for c in group),
            _exact_sum(c[6] for c in group),
            sum(c[7] for c in group),
            _exact_sum(c[8] for c in group),
            _exact_sum(c[9] for c in group),
        )
        for start, group in buckets.items()
    ]


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
    rng = random.Random(_seed(symbol, "funding", month))
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
    windows = [_parse_window(window) for window in maintenance]
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
