"""Where things live in the Binance public archive, and what its kline files contain.

The archive (https://data.binance.vision) is a tree of zip files, each with a sibling
``<zip>.CHECKSUM`` file whose body is ``<sha256>  <file name>``::

    data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip
    data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11.zip
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

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

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

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


def monthly_klines_path(market: str, symbol: str, interval: str, month: Month) -> str:
    """Path of a monthly kline zip, relative to the archive's base URL."""
    try:
        prefix = MARKET_PREFIXES[market]
    except KeyError:
        known = ", ".join(MARKET_PREFIXES)
        raise ValueError(f"unknown market {market!r}; expected one of {known}") from None
    return f"{prefix}/monthly/klines/{symbol}/{interval}/{symbol}-{interval}-{month}.zip"


def uses_microseconds(market: str, period_start: date) -> bool:
    """Whether the archive writes this market's timestamps for this period in microseconds."""
    return market == "spot" and period_start >= MICROSECOND_TIMESTAMPS_FROM
