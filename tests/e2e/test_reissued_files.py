"""A re-issued archive file replaces exactly its own rows in raw, on DuckDB and Postgres.

USD-M BTCUSDT 1m as the archive stood on 2025-01-04 (December monthly, January 1 and 2 daily,
December funding rates). The archive then re-issues the daily file of January 2 without its last
candle and with other volumes, and the funding file without its last rate and with other rates;
later it publishes a broken download of the daily file, which is rejected. After every run, the
rows of ``raw_exchange.klines`` and ``raw_exchange.funding_rates`` of each file are exactly those
of its current loaded version: what ``archive_files`` says, row for row.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.warehouse import dlt_pipeline, warehouse_cursor

from support.archive_zips import csv_lines, one_symbol_archive, write_zip_with_checksum
from support.environment import on_each_warehouse

DECEMBER = "data/futures/um/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-12.zip"
JANUARY_1 = "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip"
JANUARY_2 = "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-02.zip"
FUNDING = "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-12.zip"
SOURCE = {
    "markets": ["um"],
    "symbols": ["BTCUSDT"],
    "intervals": ["1m"],
    "start_date": "2024-12-01",
    "end_date": "2025-01-02",
    "spot_api_url": "",
    "usdm_api_url": "",
    "ccxt_exchanges": {},
}


def load(folder: Path) -> RejectedFiles:
    rejected = RejectedFiles()
    source = exchange_source(archive_base_url=str(folder), rejected=rejected, **SOURCE)
    dlt_pipeline("exchange").run(source)
    return rejected


def instant(epoch_ms: bytes) -> datetime:
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC)


def file_rows(folder: Path, path: str) -> list[tuple]:
    """A file's rows as the tables hold them: (open time, volume) of candles, (funding time,
    rate) of funding rates; the header line left out."""
    value_column = 2 if "fundingRate" in path else 5
    return [
        (instant(fields[0]), Decimal(fields[value_column].decode()))
        for fields in (line.split(b",") for line in csv_lines(folder / path)[1:])
    ]


def table_rows(path: str) -> list[tuple]:
    table, time_column, value_column = (
        ("funding_rates", "funding_time", "funding_rate")
        if "fundingRate" in path
        else ("klines", "open_time", "volume")
    )
    with warehouse_cursor() as cursor:
        cursor.execute(
            f"select {time_column}, {value_column} from raw_exchange.{table} "
            f"where source_file = '{path}' order by 1"
        )
        return [tuple(row) for row in cursor.fetchall()]


def versions() -> dict[str, tuple]:
    """Per file: its archive_files status and row count, the rows the tables hold for it, and
    how many of those were loaded with another load id than its archive_files row."""
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select f.path, f.status, f.row_count, count(t.source_file), "
            "count(case when t._dlt_load_id <> f._dlt_load_id then 1 end) "
            "from raw_exchange.archive_files f left join ("
            "  select source_file, _dlt_load_id from raw_exchange.klines union all "
            "  select source_file, _dlt_load_id from raw_exchange.funding_rates"
            ") t on t.source_file = f.path group by 1, 2, 3"
        )
        return {path: tuple(rest) for path, *rest in cursor.fetchall()}


def reissue(path: Path, change: int) -> None:
    """Re-issue a file without its last row and with the value in column ``change`` doubled."""
    header, *lines = csv_lines(path)
    changed = []
    for line in lines[:-1]:
        fields = line.split(b",")
        fields[change] = f"{Decimal(fields[change].decode()) * 2:.8f}".encode()
        changed.append(b",".join(fields))
    write_zip_with_checksum(path, [header, *changed])


@on_each_warehouse
@pytest.mark.usefixtures("warehouse_env")
def test_a_reissued_file_replaces_exactly_its_own_rows(warehouse, monkeypatch, tmp_path):
    folder = one_symbol_archive(tmp_path / "archive", date(2024, 12, 1), markets=("um",))
    assert load(folder).errors == []
    first = versions()
    assert first == {
        DECEMBER: ("loaded", 44_640, 44_640, 0),
        JANUARY_1: ("loaded", 1_440, 1_440, 0),
        JANUARY_2: ("loaded", 1_440, 1_440, 0),
        FUNDING: ("loaded", 93, 93, 0),
    }
    old_january_2 = file_rows(folder, JANUARY_2)

    reissue(folder / JANUARY_2, change=5)
    reissue(folder / FUNDING, change=2)
    assert load(folder).errors == []
    assert versions() == {
        **first,
        JANUARY_2: ("loaded", 1_439, 1_439, 0),
        FUNDING: ("loaded", 92, 92, 0),
    }
    for path in (JANUARY_2, FUNDING):
        assert table_rows(path) == file_rows(folder, path), path
    assert table_rows(JANUARY_2) != old_january_2[:-1]
    assert table_rows(JANUARY_1) == file_rows(folder, JANUARY_1)

    # The next version's download is broken, so it is rejected: the last good version's rows
    # stay.
    current = file_rows(folder, JANUARY_2)
    reissue(folder / JANUARY_2, change=5)
    (folder / JANUARY_2).write_bytes((folder / JANUARY_2).read_bytes()[:-100])
    (rejected,) = load(folder).errors
    assert "checksum mismatch" in rejected
    assert table_rows(JANUARY_2) == current
    with warehouse_cursor() as cursor:
        cursor.execute(f"select status from raw_exchange.archive_files where path = '{JANUARY_2}'")
        assert cursor.fetchone()[0] == "rejected"
