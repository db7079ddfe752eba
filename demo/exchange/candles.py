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
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

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


UNITS_PER_ONE = 100_000_000
"""Prices and volumes are generated as integers of 10⁻⁸ (the archive prints eight decimals), so
that sums are exact and every formatter prints the same digits."""
_UNIFORMS_PER_MINUTE = 9


@dataclass(frozen=True)
class MonthKlines:
    """One month of a symbol's one-minute candles, column by column (ascending open times).

    Prices and volumes are integers of 10⁻⁸ (:data:`UNITS_PER_ONE`)."""

    open_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    quote_volume: np.ndarray
    trades: np.ndarray
    taker_buy_volume: np.ndarray
    taker_buy_quote_volume: np.ndarray

    def take(self, rows: np.ndarray) -> MonthKlines:
        """The candles at ``rows`` (a boolean mask or indices)."""
        return MonthKlines(**{name: column[rows] for name, column in self.columns().items()})

    def columns(self) -> dict[str, np.ndarray]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def __len__(self) -> int:
        return len(self.open_ms)


def _uniforms(seed: int, count: int) -> np.ndarray:
    """``count`` uniforms in [0, 1) from PCG64's raw 64-bit output (the top 53 bits), which numpy
    keeps stable across versions, unlike the transformations of its ``Generator`` methods."""
    raw = np.random.PCG64(seed).random_raw(count)
    return (raw >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _normals(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Standard normals from pairs of uniforms (Box-Muller), two per pair."""
    radius = np.sqrt(-2.0 * np.log1p(-first))
    angle = 2.0 * np.pi * second
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])


def _units(values: np.ndarray) -> np.ndarray:
    return np.rint(values * UNITS_PER_ONE).astype(np.int64)


def month_klines(
    symbol: str, month: Month, maintenance: Sequence[tuple[int, int]] = ()
) -> MonthKlines:
    """Minute candles of one month, generated column by column with numpy.

    The log price runs as a Brownian bridge between two month-start anchors, so consecutive months
    join without a jump and each month depends on nothing but its symbol and date. Minutes in a
    maintenance window, and a quiet symbol's minutes without trades, have no candle.
    """
    profile = profile_for(symbol)
    start_log = month_start_log_price(symbol, month)
    end_log = month_start_log_price(symbol, month.next())
    start_ms = int(month.start.timestamp() * 1000)
    minutes = (int(month.next().start.timestamp() * 1000) - start_ms) // MINUTE_MS
    sigma = profile.annual_volatility / math.sqrt(MINUTES_PER_YEAR)
    uniform = _uniforms(seed_of(symbol, month), _UNIFORMS_PER_MINUTE * minutes).reshape(
        _UNIFORMS_PER_MINUTE, minutes
    )
    step, wick_up, wick_down, activity, size, _ = _normals(uniform[0:3], uniform[3:6])
    quiet, vwap_position, taker_share = uniform[6], 0.3 + 0.4 * uniform[7], 0.35 + 0.3 * uniform[8]

    walk = np.concatenate([[0.0], np.cumsum(step * sigma)])
    drift = walk[-1] - (end_log - start_log)
    log_prices = start_log + walk - drift * np.arange(minutes + 1) / minutes

    tick = profile.tick
    open_ = np.rint(np.exp(log_prices[:-1]) / tick) * tick
    close = np.rint(np.exp(log_prices[1:]) / tick) * tick
    high = np.ceil(np.maximum(open_, close) * np.exp(np.abs(wick_up) * sigma * 0.7) / tick) * tick
    low = np.floor(np.minimum(open_, close) * np.exp(-np.abs(wick_down) * sigma * 0.7) / tick)
    low = np.maximum(tick, low * tick)
    trades = np.maximum(1, np.rint(profile.trades_per_minute * np.exp(0.5 * activity)))
    volume = np.round(trades * profile.mean_trade_size * np.exp(0.3 * size), 5)
    vwap = low + (high - low) * vwap_position
    taker_volume = np.round(volume * taker_share, 5)

    open_ms = start_ms + np.arange(minutes, dtype=np.int64) * MINUTE_MS
    keep = quiet >= profile.quiet_minute_share
    for window_start, window_end in maintenance:
        keep &= (open_ms < window_start) | (open_ms >= window_end)
    klines = MonthKlines(
        open_ms=open_ms,
        open=_units(open_),
        high=_units(high),
        low=_units(low),
        close=_units(close),
        volume=_units(volume),
        quote_volume=_units(volume * vwap),
        trades=trades.astype(np.int64),
        taker_buy_volume=_units(taker_volume),
        taker_buy_quote_volume=_units(volume * taker_share * vwap),
    )
    return klines.take(keep)


def kline_rows(
    symbol: str, month: Month, maintenance: Sequence[tuple[int, int]] = ()
) -> Iterator[tuple[int, float, float, float, float, float, float, int, float, float]]:
    """The candles of :func:`month_klines` as ``(open_ms, o, h, l, c, volume, quote_volume,
    trades, taker_buy_volume, taker_buy_quote_volume)``, prices and volumes as floats that print
    the generated eight decimals exactly (``f"{value:.8f}"``)."""
    klines = month_klines(symbol, month, maintenance)
    scaled = [
        (column / UNITS_PER_ONE).tolist()
        for column in (
            klines.open,
            klines.high,
            klines.low,
            klines.close,
            klines.volume,
            klines.quote_volume,
        )
    ]
    taker = [
        (column / UNITS_PER_ONE).tolist()
        for column in (klines.taker_buy_volume, klines.taker_buy_quote_volume)
    ]
    yield from zip(klines.open_ms.tolist(), *scaled, klines.trades.tolist(), *taker, strict=True)


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
