"""Rows that parse but cannot be true never reach the candles, on DuckDB and Postgres: they are
quarantined with their reason like unparseable lines, and the market models build and pass
their tests.

A one-symbol archive folder of three daily files (spot, microsecond timestamps); the file of
2025-01-02 gets five impossible lines, among them the tester's (negative volume, high below low,
an open time in the year 2286) and a candle of the next day. The exchange source loads it into
the test's warehouse; dbt builds the candles and ``fct_rejected_rows``.
"""

from datetime import UTC, date, datetime

import pytest

from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor

from support.archive_zips import (
    DAY,
    SOURCE,
    csv_lines,
    one_symbol_archive,
    write_zip_with_checksum,
)
from support.environment import on_each_warehouse
from support.warehouse import run_dbt

JANUARY_3_AT_5 = 1735880400000000
"""2025-01-03 05:00 UTC in microseconds: a candle of the next day's file."""


def with_fields(line: bytes, **values: str) -> bytes:
    """A kline line with some fields replaced (by column position name)."""
    columns = ("open_time", "open", "high", "low", "close", "volume", "close_time")
    fields = line.split(b",")
    for name, value in values.items():
        fields[columns.index(name)] = value.encode()
    return b",".join(fields)


def impossible_lines(lines: list[bytes]) -> dict[int, tuple[bytes, str]]:
    """Line number -> (impossible line, start of its reason)."""
    tester = with_fields(
        lines[9],
        open_time="10000000000000",
        close_time="10000000059999",
        volume="-3.2",
        high="10.5",
        low="11.0",
    )
    return {
        10: (tester, "open_time is outside the file's period: 2286-11-20T17:46:40Z"),
        20: (with_fields(lines[19], volume="-3.2"), "volume is negative: -3.2"),
        30: (with_fields(lines[29], high="1", low="2"), "high is below low: high 1 < low 2"),
        40: (
            with_fields(
                lines[39],
                open_time=str(JANUARY_3_AT_5),
                close_time=str(JANUARY_3_AT_5 + 59_999_999),
            ),
            "open_time is outside the file's period: 2025-01-03T05:00:00Z is not in 2025-01-02",
        ),
        50: (with_fields(lines[49], close="0"), "close is not positive: 0"),
    }


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_impossible_rows_are_quarantined_and_the_market_models_pass(
    warehouse, monkeypatch, tmp_path
):
    folder = one_symbol_archive(tmp_path / "archive", date(2025, 1, 1))
    lines = csv_lines(folder / DAY)
    bad = impossible_lines(lines)
    for number, (line, _) in bad.items():
        lines[number - 1] = line
    write_zip_with_checksum(folder / DAY, lines)

    rejected = RejectedFiles()
    source = exchange_source(archive_base_url=str(folder), rejected=rejected, **SOURCE)
    dlt_pipeline("exchange").run(source)
    run_dbt(warehouse, "build", "--select", "+fct_candles", "+fct_rejected_rows",
            "--exclude-resource-type", "unit_test")  # fmt: skip

    # The file loads without its five lines; more than 0.1 % rejected fails the run at the end.
    assert rejected.errors == []
    (too_many,) = rejected.over_threshold
    assert "5 of 1,440 lines rejected (0.35%)" in too_many
    assert "open_time is outside the file's period (2)" in too_many
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select line_number, raw_line, reason from raw_exchange.rejected_rows "
            "order by line_number"
        )
        quarantined = cursor.fetchall()
        cursor.execute(
            "select source_file, count(*), min(open_time), max(open_time) "
            "from raw_exchange.klines group by source_file order by source_file"
        )
        per_file = cursor.fetchall()
        cursor.execute(
            "select rejection_category, count(*), max(file_line_count), bool_or(is_superseded) "
            "from marts.fct_rejected_rows group by 1 order by 1"
        )
        categories = cursor.fetchall()
        cursor.execute(  # UTC times without a zone
            "select count(*), min(open_at), max(open_at) from marts.fct_candles "
            "where candle_interval = '1m'"
        )
        candles = cursor.fetchone()

    assert [(number, raw.encode()) for number, raw, _ in quarantined] == [
        (number, line) for number, (line, _) in bad.items()
    ]
    for (_, _, reason), (_, start) in zip(quarantined, bad.values(), strict=True):
        assert reason.startswith(start)
    day = {path: (count, first, last) for path, count, first, last in per_file}[DAY]
    assert day == (
        1435,
        datetime(2025, 1, 2, tzinfo=UTC),
        datetime(2025, 1, 2, 23, 59, tzinfo=UTC),
    )
    assert categories == [
        ("close is not positive", 1, 1440, False),
        ("high is below low", 1, 1440, False),
        ("open_time is outside the file's period", 2, 1440, False),
        ("volume is negative", 1, 1440, False),
    ]
    assert tuple(candles) == (3 * 1440 - 5, datetime(2025, 1, 1), datetime(2025, 1, 3, 23, 59))
