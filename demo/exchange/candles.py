"""The demo market's one-minute candles: a deterministic random walk per symbol and month.

Prices follow a geometric random walk with realistic volatility; a maintenance window and, for
quiet symbols, minutes without trades leave real gaps (no candle), as on the exchange. Each month
depends on nothing but its symbol and date, so the archive mirror (:mod:`demo.exchange.mirror`)
and the local exchange's REST answers (:mod:`demo.exchange.klines`) agree minute by minute.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ingestion.exchange.layout import Month

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
    rng = random.Random(seed_of(symbol, "profile"))
    return SymbolProfile(
        price_at_origin=round(rng.uniform(0.5, 50.0), 4),
        annual_volatility=rng.uniform(0.8, 1.4),
        trades_per_minute=rng.uniform(3.0, 12.0),
        mean_trade_size=rng.uniform(50.0, 500.0),
        tick=0.0001,
        quiet_minute_share=0.05,
    )


def seed_of(*parts: object) -> int:
    """A random seed from ``parts``, the same on every machine and Python version."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _month_index(month: Month) -> int:
    return (month.year - ANCHOR_ORIGIN.year) * 12 + month.month - ANCHOR_ORIGIN.month


def month_start_log_price(symbol: str, month: Month) -> float:
    """Log price at the start of ``month``: a monthly random walk away from the origin month."""
    profile = profile_for(symbol)
    index = _month_index(month)
    rng = random.Random(seed_of(symbol, "anchors", "forward" if index >= 0 else "backward"))
    sigma = profile.annual_volatility / math.sqrt(12)
    return math.log(profile.price_at_origin) + sum(rng.gauss(0.0, sigma) for _ in range(abs(index)))


def parse_window(text: str) -> tuple[int, int]:
    """An outage ``START/END`` (UTC ISO times) as epoch milliseconds."""
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
    rng = random.Random(seed_of(symbol, month))
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
