"""Where things live in the Binance public archive, and what its kline files contain.

The archive (https://data.binance.vision) is a tree of zip files, each with a sibling
``<zip>.CHECKSUM`` file whose body is ``<sha256>  <file name>``::

    data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip
    data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip
    data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-01.zip
    data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-11.zip

Monthly files appear early in the following month, daily files the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MARKET_PREFIXES: dict[str, str] = {
    "spot": "data/spot",
    "um": "data/futures/um",
    "cm": "data/futures/cm",
}
"""Archive folder of each market: spot, USD-M futures (``um``) and COIN-M futures (``cm``)."""

KLINE_COLUMNS: tuple[str, ...] = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "trade_count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)
"""Columns of a kline CSV, in file order (the files of some markets carry a header row)."""

INTERVAL_MILLISECONDS: dict[str, int] = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
}
"""Fixed-length kline intervals of the archive (``1mo`` has no fixed length)."""

KLINES = "klines"
FUNDING_RATE = "fundingRate"
MONTHLY = "monthly"
DAILY = "daily"
FUTURES_MARKETS = ("um", "cm")


DAILY_INTERVALS = frozenset(
    interval
    for interval, milliseconds in INTERVAL_MILLISECONDS.items()
    if milliseconds <= 86_400_000
)
"""Daily files exist for intervals up to one day."""

FUNDING_RATE_COLUMNS: tuple[str, ...] = ("calc_time", "funding_interval_hours", "last_funding_rate")
"""Columns of a funding-rate CSV (these files carry a header row)."""

MICROSECOND_TIMESTAMPS_FROM = date(2025, 1, 1)
"""Spot archive files from this day on carry microsecond timestamps; futures stay in ms."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, the period of one monthly archive file."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read ``YYYY-MM``."""
        try:
            parsed = datetime.strptime(text, "%Y-%m")
        except ValueError:
            raise ValueError(f"not a month (expected YYYY-MM): {text!r}") from None
        return cls(parsed.year, parsed.month)

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` falls in."""
        return cls(day.year, day.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


def market_prefix(market: str) -> str:
    """Archive folder of a market, with a clear error for an unknown one."""
    try:
        return MARKET_PREFIXES[market]
    except KeyError:
        known = ", ".join(MARKET_PREFIXES)
        raise ValueError(f"unknown market {market!r}; expected one of {known}") from None


def monthly_klines_path(market: str, symbol: str, interval: str, month: Month) -> str:
    """Path of a monthly kline zip, relative to the archive's base URL."""
    prefix = market_prefix(market)
    return f"{prefix}/monthly/klines/{symbol}/{interval}/{symbol}-{interval}-{month}.zip"


def daily_klines_path(market: str, symbol: str, interval: str, day: date) -> str:
    """Path of a daily kline zip, relative to the archive's base URL."""
    prefix = market_prefix(market)
    return f"{prefix}/daily/klines/{symbol}/{interval}/{symbol}-{interval}-{day.isoformat()}.zip"


def funding_rate_path(market: str, symbol: str, month: Month) -> str:
    """Path of a monthly funding-rate zip (futures markets only)."""
    prefix = market_prefix(market)
    return f"{prefix}/monthly/fundingRate/{symbol}/{symbol}-fundingRate-{month}.zip"


@dataclass(frozen=True)
class ArchiveFile:
    """One file of the archive: what it holds and the period it covers."""

    market: str
    data_type: str
    """``klines`` or ``fundingRate``."""
    symbol: str
    interval: str | None
    """Kline interval; None for funding rates."""
    period: str
    """``monthly`` or ``daily``."""
    period_start: date
    period_end: date
    """Last day covered, inclusive."""

    @property
    def path(self) -> str:
        """Path relative to the archive's base location."""
        if self.data_type == FUNDING_RATE:
            return funding_rate_path(self.market, self.symbol, Month.of(self.period_start))
        assert self.interval is not None
        if self.period == MONTHLY:
            return monthly_klines_path(
                self.market, self.symbol, self.interval, Month.of(self.period_start)
            )
        return daily_klines_path(self.market, self.symbol, self.interval, self.period_start)


def monthly_klines(market: str, symbol: str, interval: str, month: Month) -> ArchiveFile:
    return ArchiveFile(market, KLINES, symbol, interval, MONTHLY, month.first_day, month.last_day)


def daily_klines(market: str, symbol: str, interval: str, day: date) -> list[ArchiveFile]:
    """The daily file of a day, or nothing for intervals the archive has no daily files of."""
    if interval not in DAILY_INTERVALS:
        return []
    return [ArchiveFile(market, KLINES, symbol, interval, DAILY, day, day)]


def monthly_funding_rates(market: str, symbol: str, month: Month) -> ArchiveFile:
    return ArchiveFile(market, FUNDING_RATE, symbol, None, MONTHLY, month.first_day, month.last_day)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def uses_microseconds(market: str, period_start: date) -> bool:
    """Whether the archive writes this market's timestamps for this period in microseconds."""
    return market == "spot" and period_start >= MICROSECOND_TIMESTAMPS_FROM
