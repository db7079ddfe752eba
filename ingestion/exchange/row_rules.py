"""Rows of an archive file that parse but cannot be true, found with vectorized Arrow compute.

A candle with a negative volume, a high below its low or an open time outside its file's period
(a 1970 or 2286 timestamp, a row in the wrong file) reads like any other line, would load, and
would then fail the warehouse's tests on every run. Each :class:`RowRule` is one boolean mask
over the table Arrow parsed from a file: a file without such rows costs one compute call or a
few per rule over its columns and nothing else. Only the rare rows that break a rule are looked
at one by one, to name the first rule each breaks and its values.

Reasons read ``<category>: <values>``, the category fixed per rule (the marts group rejected
lines by the text before ``": "``): ``high is below low: high 10.5 < low 11``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.exchange.layout import DAILY, INTERVAL_MILLISECONDS, ArchiveFile, Month

MICROSECOND_THRESHOLD = 10**13
"""Epoch values above this are microseconds (10**13 ms is the year 2286)."""

Row = dict[str, Any]
Mask = pa.ChunkedArray | pa.Array


@dataclass(frozen=True)
class RowRule:
    """A condition every row of a file must meet."""

    category: str
    """The start of the reason, the same for every row that breaks the rule."""
    broken: Callable[[pa.Table], Mask]
    """True for each row that breaks the rule (null counts as kept: empty optional columns)."""
    values: Callable[[Row], str]
    """The offending values of one broken row, for the reason."""

    def reason(self, row: Row) -> str:
        return f"{self.category}: {self.values(row)}"


def find_impossible_rows(
    table: pa.Table, rules: Sequence[RowRule]
) -> tuple[pa.Table, dict[int, str]]:
    """The rows of ``table`` that break no rule, and the reason of each row that does, by row
    index: the first rule in ``rules`` it breaks."""
    if not rules or table.num_rows == 0:
        return table, {}
    masks = [rule.broken(table) for rule in rules]
    broken = pc.fill_null(reduce(pc.or_kleene, masks), False)
    if not pc.any(broken).as_py():
        return table, {}
    indices = pc.indices_nonzero(broken)
    rows = table.take(indices).to_pylist()
    per_rule = [pc.take(mask, indices).to_pylist() for mask in masks]
    reasons = {}
    for position, (index, row) in enumerate(zip(indices.to_pylist(), rows, strict=True)):
        rule = next(rule for rule, hits in zip(rules, per_rule, strict=True) if hits[position])
        reasons[index] = rule.reason(row)
    return table.filter(pc.invert(broken)), reasons


# --- values as the reasons show them -----------------------------------------------------------


def number(value: Decimal | int) -> str:
    """A decimal without trailing zeros (``-3.20000000`` -> ``-3.2``), an integer as is."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return str(value)


def instant(epoch: int) -> str:
    """An epoch in milliseconds or microseconds (as the archive mixes them) as UTC ISO time:
    ``2286-11-20T17:46:40Z``; the number itself when no calendar date has it."""
    micros = epoch if epoch > MICROSECOND_THRESHOLD else epoch * 1_000
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    except OverflowError:
        return f"{epoch} (epoch, beyond any date)"
    fraction = moment.microsecond
    precision = "seconds" if not fraction else "milliseconds" if not fraction % 1000 else "auto"
    return moment.isoformat(timespec=precision).replace("+00:00", "Z")


def period_label(file: ArchiveFile) -> str:
    """``2025-01-02`` for a daily file, ``2025-01`` for a monthly one."""
    if file.period == DAILY:
        return file.period_start.isoformat()
    return str(Month.of(file.period_start))


# --- masks --------------------------------------------------------------------------------------


def to_micros(epoch: Mask) -> Mask:
    """Epoch milliseconds or microseconds as microseconds, without overflow: milliseconds before
    the year 1653 (-10**13) count as that year (they break every time rule either way)."""
    millis = pc.max_element_wise(epoch, -MICROSECOND_THRESHOLD)
    return pc.if_else(pc.greater(epoch, MICROSECOND_THRESHOLD), epoch, pc.multiply(millis, 1_000))


def _period_micros(file: ArchiveFile) -> tuple[int, int]:
    """The file's period as [first microsecond, first microsecond after)."""
    start = datetime.combine(file.period_start, time(), UTC)
    end = datetime.combine(file.period_end + timedelta(days=1), time(), UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return (start - epoch) // timedelta(microseconds=1), (end - epoch) // timedelta(microseconds=1)


def _period_rule(column: str, file: ArchiveFile, lead_milliseconds: int = 0) -> RowRule:
    """``column`` must lie in the file's period, or at most ``lead_milliseconds`` before it (a
    week that begins in the month before, in a monthly file of weekly candles)."""
    start, end = _period_micros(file)
    start -= lead_milliseconds * 1_000
    label = period_label(file)

    def broken(table: pa.Table) -> Mask:
        micros = to_micros(table[column])
        return pc.or_(pc.less(micros, start), pc.greater_equal(micros, end))

    return RowRule(
        f"{column} is outside the file's period",
        broken,
        lambda row: f"{instant(row[column])} is not in {label}",
    )


def _compared(row: Row, column: str, sign: str, other: str) -> str:
    return f"{column} {number(row[column])} {sign} {other} {number(row[other])}"


def _outside_open_and_close(row: Row, column: str, sign: str) -> str:
    """The high below (``<``) or the low above (``>``) the open, else the close."""
    value, open_ = row[column], row["open"]
    other = "open" if (value < open_ if sign == "<" else value > open_) else "close"
    return _compared(row, column, sign, other)


def _off_interval(interval: str) -> Callable[[pa.Table], Mask]:
    step = INTERVAL_MILLISECONDS[interval] * 1_000

    def broken(table: pa.Table) -> Mask:
        micros = to_micros(table["open_time"])
        return pc.not_equal(micros, pc.multiply(pc.divide(micros, step), step))

    return broken


PRICE_COLUMNS = ("open", "high", "low", "close")
AMOUNT_COLUMNS = (
    "volume",
    "quote_volume",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "trade_count",
)
DAY_MILLISECONDS = 86_400_000


def kline_rules(file: ArchiveFile) -> list[RowRule]:
    """What every candle of a kline file must meet, in the order reasons are chosen: its time
    first (a row of another period is in the wrong file, whatever its prices), then its values.

    The open time lies in the file's period, [period_start 00:00 UTC, period_end + 1 day); a
    candle longer than a day (3d, 1w) may begin up to its length minus a day before, as a week
    that starts in the previous month. Candles of a day or less start on a multiple of their
    length (UTC midnight counts), as the warehouse's tests expect.
    """
    interval = file.interval
    length = INTERVAL_MILLISECONDS.get(interval or "", DAY_MILLISECONDS)
    rules = [_period_rule("open_time", file, max(0, length - DAY_MILLISECONDS))]
    if length <= DAY_MILLISECONDS and interval in INTERVAL_MILLISECONDS:
        rules.append(
            RowRule(
                "open_time is not on an interval boundary",
                _off_interval(interval),
                lambda row: f"{instant(row['open_time'])} does not start a {interval} candle",
            )
        )
    return [
        *rules,
        RowRule(
            "close_time is before open_time",
            lambda table: pc.less(to_micros(table["close_time"]), to_micros(table["open_time"])),
            lambda row: (
                f"close_time {instant(row['close_time'])} < open_time {instant(row['open_time'])}"
            ),
        ),
        *(
            RowRule(
                f"{name} is not positive",
                lambda table, name=name: pc.less_equal(table[name], 0),
                lambda row, name=name: number(row[name]),
            )
            for name in PRICE_COLUMNS
        ),
        *(
            RowRule(
                f"{name} is negative",
                lambda table, name=name: pc.less(table[name], 0),
                lambda row, name=name: number(row[name]),
            )
            for name in AMOUNT_COLUMNS
        ),
        RowRule(
            "high is below low",
            lambda table: pc.less(table["high"], table["low"]),
            lambda row: _compared(row, "high", "<", "low"),
        ),
        RowRule(
            "high is below open or close",
            lambda table: pc.or_(
                pc.less(table["high"], table["open"]), pc.less(table["high"], table["close"])
            ),
            lambda row: _outside_open_and_close(row, "high", "<"),
        ),
        RowRule(
            "low is above open or close",
            lambda table: pc.or_(
                pc.greater(table["low"], table["open"]), pc.greater(table["low"], table["close"])
            ),
            lambda row: _outside_open_and_close(row, "low", ">"),
        ),
        RowRule(
            "taker_buy_volume exceeds volume",
            lambda table: pc.greater(table["taker_buy_volume"], table["volume"]),
            lambda row: _compared(row, "taker_buy_volume", ">", "volume"),
        ),
    ]


def funding_rate_rules(file: ArchiveFile) -> list[RowRule]:
    """What every row of a funding-rate file must meet, in the order reasons are chosen."""
    return [
        _period_rule("calc_time", file),
        RowRule(
            "funding_interval_hours is not positive",
            lambda table: pc.less_equal(table["funding_interval_hours"], 0),
            lambda row: number(row["funding_interval_hours"]),
        ),
    ]
