"""Which archive files a run reads, up to which moment.

Monthly files for the months that ended before the cutoff, daily files for the days of the
cutoff's month; a monthly file that is not published yet is replaced by its daily files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from ingestion.exchange.layout import (
    FUNDING_RATE,
    FUTURES_MARKETS,
    MONTHLY,
    ArchiveFile,
    Month,
    daily_klines,
    days_between,
    monthly_funding_rates,
    monthly_klines,
)


def parse_cutoff(end_date: str | None, now: datetime | None = None) -> datetime:
    """The moment a run loads up to: the configured end (a date means the end of that day) or
    now, whichever is earlier."""
    now = now or datetime.now(UTC)
    if not end_date:
        return now
    if len(end_date) == 10:
        end = datetime.combine(date.fromisoformat(end_date), datetime.min.time(), UTC)
        end += timedelta(days=1)
    else:
        end = datetime.fromisoformat(end_date.replace("Z", "+00:00"))
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
    return min(end, now)


def planned_files(
    markets: Sequence[str],
    symbols: Sequence[str],
    intervals: Sequence[str],
    start: date,
    cutoff: datetime,
    funding_rates: bool,
) -> list[ArchiveFile]:
    """Monthly files for the months that ended before the cutoff, daily files for the days of
    the cutoff's month that ended before it; funding rates (monthly only) for futures markets.

    A monthly file that turns out not to be published is replaced by its daily files
    (:func:`daily_fallback`).
    """
    last_month = Month.of(cutoff.date())
    months = []
    month = Month.of(start)
    while month < last_month:
        months.append(month)
        month = month.next()
    current_days = days_between(max(start, last_month.first_day), cutoff.date() - timedelta(1))
    files = []
    for market in markets:
        for symbol in symbols:
            for interval in intervals:
                files += [monthly_klines(market, symbol, interval, m) for m in months]
                for day in current_days:
                    files += daily_klines(market, symbol, interval, day)
            if funding_rates and market in FUTURES_MARKETS:
                files += [monthly_funding_rates(market, symbol, m) for m in months]
    return files


def daily_fallback(file: ArchiveFile, cutoff: datetime) -> list[ArchiveFile]:
    """The daily files standing in for a monthly kline file that is not published yet."""
    if file.period != MONTHLY or file.data_type == FUNDING_RATE or file.interval is None:
        return []
    last_day = min(file.period_end, cutoff.date() - timedelta(days=1))
    return [
        daily
        for day in days_between(file.period_start, last_day)
        for daily in daily_klines(file.market, file.symbol, file.interval, day)
    ]
