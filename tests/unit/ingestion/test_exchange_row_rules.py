"""Rows that parse but cannot be true are quarantined like unparseable lines, one rule each.

Every test zips CSV lines written out here and reads them with ``parse_archive_file``, the
loader's own path: the expected reasons, line numbers and surviving rows are literal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from ingestion.exchange.archive import parse_archive_file
from ingestion.exchange.layout import (
    KLINE_COLUMNS,
    Month,
    daily_klines,
    monthly_funding_rates,
    monthly_klines,
)
from ingestion.exchange.row_rules import find_impossible_rows, instant, kline_rules, number

from support.archive_zips import zip_bytes

DAY = daily_klines("spot", "BTCUSDT", "1m", date(2025, 1, 1))[0]
"""A daily file of 2025-01-01 (its rows below are in milliseconds)."""
FIELDS = KLINE_COLUMNS
GOOD = {
    "open_time": "1735689600000",  # 2025-01-01 00:00 UTC
    "open": "100.5",
    "high": "101",
    "low": "99.25",
    "close": "100.75",
    "volume": "12.5",
    "close_time": "1735689659999",
    "quote_volume": "1259.375",
    "trade_count": "42",
    "taker_buy_volume": "6.25",
    "taker_buy_quote_volume": "629.6875",
    "ignore": "0",
}
HEADER = ",".join(FIELDS).replace("trade_count", "count").encode()


def line(**changes: str) -> bytes:
    """A kline CSV line: the good candle with ``changes``."""
    return ",".join({**GOOD, **changes}[name] for name in FIELDS).encode()


def minute(index: int) -> bytes:
    """The good candle moved ``index`` minutes on, so that every line has its own key."""
    open_ms = 1735689600000 + index * 60_000
    return line(open_time=str(open_ms), close_time=str(open_ms + 59_999))


def parse(lines: list[bytes], file=DAY):
    """The outcome of a file holding ``lines``."""
    content = zip_bytes(file.path.rsplit("/", 1)[1].replace(".zip", ".csv"), b"\n".join(lines))
    return parse_archive_file(content, file, f"archive/{file.path}")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"open_time": "10000000000000", "close_time": "10000000059999"},
         "open_time is outside the file's period: 2286-11-20T17:46:40Z is not in 2025-01-01"),
        ({"open_time": "0", "close_time": "59999"},
         "open_time is outside the file's period: 1970-01-01T00:00:00Z is not in 2025-01-01"),
        ({"open_time": "1735776000000", "close_time": "1735776059999"},  # the next day's file
         "open_time is outside the file's period: 2025-01-02T00:00:00Z is not in 2025-01-01"),
        ({"open_time": "-99999999999999999", "close_time": "0"},
         "open_time is outside the file's period: -99999999999999999 (epoch, beyond any date) "
         "is not in 2025-01-01"),
        ({"open_time": "1735689630000"},
         "open_time is not on an interval boundary: 2025-01-01T00:00:30Z does not start a 1m "
         "candle"),
        ({"close_time": "1735689599999"},
         "close_time is before open_time: close_time 2024-12-31T23:59:59.999Z < open_time "
         "2025-01-01T00:00:00Z"),
        ({"close_time": "-9223372036854775807"},
         "close_time is before open_time: close_time -9223372036854775807 (epoch, beyond any "
         "date) < open_time 2025-01-01T00:00:00Z"),
        ({"open": "0"}, "open is not positive: 0"),
        ({"high": "-101"}, "high is not positive: -101"),
        ({"low": "0.00000000"}, "low is not positive: 0"),
        ({"close": "-100.75"}, "close is not positive: -100.75"),
        ({"volume": "-3.20000000"}, "volume is negative: -3.2"),
        ({"quote_volume": "-1"}, "quote_volume is negative: -1"),
        ({"taker_buy_volume": "-0.5"}, "taker_buy_volume is negative: -0.5"),
        ({"taker_buy_quote_volume": "-629.6875"}, "taker_buy_quote_volume is negative: -629.6875"),
        ({"trade_count": "-1"}, "trade_count is negative: -1"),
        ({"high": "99"}, "high is below low: high 99 < low 99.25"),
        ({"high": "100.4"}, "high is below open or close: high 100.4 < open 100.5"),
        ({"high": "100.6"}, "high is below open or close: high 100.6 < close 100.75"),
        ({"low": "100.6"}, "low is above open or close: low 100.6 > open 100.5"),
        ({"close": "100", "low": "100.2"}, "low is above open or close: low 100.2 > close 100"),
        ({"taker_buy_volume": "12.50000001"},
         "taker_buy_volume exceeds volume: taker_buy_volume 12.50000001 > volume 12.5"),
    ],
)  # fmt: skip
def test_each_rule_rejects_its_line_with_the_reason(changes, reason):
    """The bad line between two good ones: it alone is rejected, with its number and text."""
    bad = line(**changes)
    outcome = parse([minute(1), bad, minute(2)])
    assert [(row.line_number, row.raw_line, row.reason) for row in outcome.rejected_rows] == [
        (2, bad.decode(), reason)
    ]
    assert outcome.table is not None and outcome.table.num_rows == 2


def test_a_line_breaking_several_rules_gets_the_first_reason():
    """The tester's line: negative volume, high below low, an open time in the year 2286."""
    bad = line(
        open_time="10000000000000",
        close_time="10000000059999",
        volume="-3.2",
        high="10.5",
        low="11.0",
    )
    (row,) = parse([bad]).rejected_rows
    assert row.reason == (
        "open_time is outside the file's period: 2286-11-20T17:46:40Z is not in 2025-01-01"
    )
    assert [row.reason for row in parse([line(volume="-3.2", high="10.5")]).rejected_rows] == [
        "volume is negative: -3.2"
    ]


def test_good_rows_pass_in_milliseconds_and_microseconds_with_empty_optional_columns():
    micro = line(open_time="1735689660000000", close_time="1735689719999999")
    empty = line(
        open_time="1735689720000",
        close_time="1735689779999",
        quote_volume="",
        trade_count="",
        taker_buy_volume="",
        taker_buy_quote_volume="",
    )
    last = line(open_time="1735775940000", close_time="1735775999999")  # 23:59, the last minute
    outcome = parse([minute(0), micro, empty, last])
    assert outcome.rejected_rows == []
    assert outcome.table is not None and outcome.table.num_rows == 4


@pytest.mark.parametrize("header", [False, True], ids=["no-header", "header"])
def test_line_numbers_count_the_header_blank_and_unparseable_lines(header):
    """Impossible and unparseable lines together, in line order; the rest loads in order."""
    lines = [
        minute(0),
        line(open_time="n/a"),  # unparseable
        minute(1).replace(b",42,", b",-42,"),  # impossible
        b"",
        minute(2),
        minute(3).replace(b"1735689780000,100.5,", b"1735689780000,-1,"),  # impossible
        minute(4),
    ]
    first = 2 if header else 1
    outcome = parse([HEADER, *lines] if header else lines)
    numbered = [(row.line_number, row.raw_line, row.reason) for row in outcome.rejected_rows]
    assert numbered == [
        (first + 1, lines[1].decode(), "open_time is not an integer: 'n/a'"),
        (first + 2, lines[2].decode(), "trade_count is negative: -42"),
        (first + 5, lines[5].decode(), "open is not positive: -1"),
    ]
    assert outcome.table is not None
    assert [t.minute for t in outcome.table["open_time"].to_pylist()] == [0, 2, 4]


def test_monthly_and_weekly_files_have_their_month_as_period():
    month = monthly_klines("spot", "BTCUSDT", "1m", Month(2025, 1))
    january_31 = line(open_time="1738281600000", close_time="1738281659999")
    february = line(open_time="1738368000000", close_time="1738368059999")
    outcome = parse([minute(0), january_31, february], month)
    assert [(row.line_number, row.reason) for row in outcome.rejected_rows] == [
        (3, "open_time is outside the file's period: 2025-02-01T00:00:00Z is not in 2025-01")
    ]
    # A weekly candle may begin in the month before: the week of Monday 2024-12-30.
    weeks = monthly_klines("spot", "BTCUSDT", "1w", Month(2025, 1))
    week = line(open_time="1735516800000", close_time="1736121599999")
    too_early = line(open_time="1734912000000", close_time="1735516799999")  # 2024-12-23
    outcome = parse([week, too_early], weeks)
    assert [(row.line_number, row.reason) for row in outcome.rejected_rows] == [
        (2, "open_time is outside the file's period: 2024-12-23T00:00:00Z is not in 2025-01")
    ]


def test_funding_rate_rules():
    file = monthly_funding_rates("um", "BTCUSDT", Month(2025, 1))
    header = b"calc_time,funding_interval_hours,last_funding_rate"
    lines = [
        header,
        b"1735689600000,8,0.00010000",
        b"1735718400000,0,0.00010000",
        b"1738368000000,8,0.00010000",  # February
        b"1735747200000,-4,0.00010000",
    ]
    outcome = parse(lines, file)
    assert [(row.line_number, row.raw_line, row.reason) for row in outcome.rejected_rows] == [
        (3, lines[2].decode(), "funding_interval_hours is not positive: 0"),
        (4, lines[3].decode(), "calc_time is outside the file's period: "
         "2025-02-01T00:00:00Z is not in 2025-01"),
        (5, lines[4].decode(), "funding_interval_hours is not positive: -4"),
    ]  # fmt: skip
    assert outcome.table is not None and outcome.table.num_rows == 1


def test_values_as_reasons_show_them():
    assert number(Decimal("-3.20000000")) == "-3.2"
    assert number(Decimal("100.00000000")) == "100"
    assert number(Decimal("-0E-8")) == "0"
    assert number(7) == "7"
    assert instant(1735689600000) == "2025-01-01T00:00:00Z"
    assert instant(1735689600000123) == "2025-01-01T00:00:00.000123Z"
    assert instant(10**13) == "2286-11-20T17:46:40Z"


def test_a_clean_table_is_returned_as_it_is():
    table = parse([minute(0), minute(1)]).table
    assert table is not None
    csv_like = pa.table(
        {
            "open_time": pa.array([1735689600000], pa.int64()),
            **{
                name: pa.array([Decimal(GOOD[name])], pa.decimal128(38, 8))
                for name in ("open", "high", "low", "close", "volume", "quote_volume")
            },
            "close_time": pa.array([1735689659999], pa.int64()),
            "trade_count": pa.array([42], pa.int64()),
            "taker_buy_volume": pa.array([Decimal("6.25")], pa.decimal128(38, 8)),
            "taker_buy_quote_volume": pa.array([Decimal("629.6875")], pa.decimal128(38, 8)),
        }
    )
    kept, reasons = find_impossible_rows(csv_like, kline_rules(DAY))
    assert kept is csv_like
    assert reasons == {}
