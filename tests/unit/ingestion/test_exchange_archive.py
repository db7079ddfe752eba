"""The Binance-archive source against a generated local mirror, loaded by dlt into a real DuckDB.

The mirror is served over real HTTP (:class:`support.archive_server.ArchiveServer`, a
``ThreadingHTTPServer`` on 127.0.0.1 that records every request and can misbehave on demand) or
read as a folder. Expected values are computed independently of the source: row counts by
unzipping the files and counting CSV lines, values from the CSV text, instants from the calendar,
paths written out literally.

Fault handling (re-issued, tampered, corrupt and malformed files, unpublished months, HTTP
errors, killed runs) is in ``test_exchange_faults.py``. The helpers both use (the HTTP server,
the pipeline run, the queries of the raw tables) are in ``support.archive_server`` and
``support.exchange_archive``.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from demo.exchange.mirror import write_mirror
from ingestion.exchange import ArchiveError, RejectedFiles
from ingestion.exchange.archive import ArchiveReader, load_archive_file, unzip_csv, verify_checksum
from ingestion.exchange.archive_csv import FUNDING_RATE_CSV, KLINE_CSV, read_archive_csv
from ingestion.exchange.archive_plan import planned_files
from ingestion.exchange.layout import Month, monthly_klines
from ingestion.exchange.raw_tables import TIMESTAMP, to_utc_timestamp

from support.archive_server import Request, serve
from support.archive_zips import csv_lines, member_data_offset, sha256_of
from support.exchange_archive import (
    FUNDING_HEADER,
    KLINE_HEADER,
    RAW_TABLES,
    data_lines,
    duplicate_keys,
    expected_kline_rows,
    funding_path,
    kline_path,
    load_ids,
    loaded_kline_rows,
    query,
    rows_per_file,
    run_pipeline,
    shared_mirror,
    table_counts,
)

# --- the archive mirror these tests load --------------------------------------------------------

SYMBOLS = ("BTCUSDT", "SOLUSDT")
MARKETS = ("spot", "um")
START = date(2025, 1, 1)
NOW = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)
"""The mirror's clock: January is closed (monthly files), February 1 and 2 have daily files."""
JANUARY = Month(2025, 1)
DAYS = (date(2025, 2, 1), date(2025, 2, 2))
ARCHIVE_SOURCE: dict[str, Any] = {
    "markets": list(MARKETS),
    "symbols": list(SYMBOLS),
    "intervals": ["1m"],
    "start_date": "2025-01-01",
    "end_date": "2025-02-02",
}
"""What the tests load from the mirror: every 1m file and the funding rates."""

MINUTES_JANUARY = 31 * 24 * 60
MINUTES_PER_DAY = 24 * 60
MAINTENANCE_START = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)
MAINTENANCE_END = datetime(2025, 1, 15, 3, 30, tzinfo=UTC)
MAINTENANCE_MINUTES = 90


def archive_kline_paths(interval: str = "1m") -> list[str]:
    return [
        kline_path(market, symbol, period, interval)
        for market in MARKETS
        for symbol in SYMBOLS
        for period in ("2025-01", *(day.isoformat() for day in DAYS))
    ]


ARCHIVE_FUNDING_PATHS = [funding_path(symbol, "2025-01") for symbol in SYMBOLS]
ARCHIVE_PATHS = [*archive_kline_paths(), *ARCHIVE_FUNDING_PATHS]
"""Every file the tests load (1m klines and funding rates), written out independently."""


@pytest.fixture(scope="session")
def archive_mirror(tmp_path_factory) -> Path:
    """Two symbols, spot and USD-M, 1m and 1d: January monthly, February 1-2 daily, funding."""
    return shared_mirror(
        tmp_path_factory,
        "archive-mirror",
        symbols=SYMBOLS,
        start=START,
        now=NOW,
        markets=MARKETS,
        intervals=("1m", "1d"),
    )


# --- the mirror itself --------------------------------------------------------------------------


def relative_zips(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*.zip")}


def test_mirror_has_monthly_files_for_closed_months_and_daily_files_for_the_current_one(
    archive_mirror,
):
    expected = {*archive_kline_paths("1m"), *archive_kline_paths("1d"), *ARCHIVE_FUNDING_PATHS}
    assert relative_zips(archive_mirror) == expected
    every_file = {p.relative_to(archive_mirror).as_posix() for p in archive_mirror.rglob("*.*")}
    assert every_file == expected | {f"{path}.CHECKSUM" for path in expected}


def test_write_mirror_returns_each_zip_once(archive_mirror):
    """The files exist already, so this only lists them."""
    paths = write_mirror(
        archive_mirror, SYMBOLS, START, NOW, markets=MARKETS, intervals=("1m", "1d")
    )
    relative = [path.relative_to(archive_mirror).as_posix() for path in paths]
    assert set(relative) == relative_zips(archive_mirror)
    assert len(relative) == len(set(relative)), "write_mirror lists some files more than once"


def test_mirror_csv_formats(archive_mirror):
    """Spot files: no header, microseconds in 2025. USD-M files: header, milliseconds."""
    spot = csv_lines(archive_mirror / kline_path("spot", "BTCUSDT", "2025-01"))
    um = csv_lines(archive_mirror / kline_path("um", "BTCUSDT", "2025-01"))
    assert spot[0].split(b",")[0] == b"1735689600000000"  # µs, 2025-01-01T00:00Z
    assert spot[0].split(b",")[6] == b"1735689659999999"
    assert um[0] == KLINE_HEADER
    assert um[1].split(b",")[0] == b"1735689600000"  # futures stay in milliseconds
    assert um[1].split(b",")[6] == b"1735689659999"
    # BTCUSDT trades every minute except during the maintenance window.
    assert len(spot) == len(um) - 1 == MINUTES_JANUARY - MAINTENANCE_MINUTES
    for market, header in (("spot", []), ("um", [KLINE_HEADER])):
        daily = csv_lines(archive_mirror / kline_path(market, "BTCUSDT", "2025-02-01"))
        assert daily[: len(header)] == header
        assert len(daily) == len(header) + MINUTES_PER_DAY
        first_open = int(daily[len(header)].split(b",")[0])
        assert first_open == 1738368000000 * (1_000 if market == "spot" else 1)  # 2025-02-01


def test_mirror_funding_rate_files(archive_mirror):
    lines = csv_lines(archive_mirror / funding_path("BTCUSDT", "2025-01"))
    assert lines[0] == FUNDING_HEADER
    rows = [line.split(b",") for line in lines[1:]]
    assert len(rows) == 31 * 3  # every 8 hours
    assert [int(row[0]) for row in rows[:2]] == [1735689600000, 1735689600000 + 8 * 3_600_000]
    assert {row[1] for row in rows} == {b"8"}
    assert all(len(row[2].partition(b".")[2]) == 8 for row in rows)


def _resample_daily(lines: list[bytes]) -> list[list]:
    """Daily candles from 1m CSV lines, in CSV column order (open time in ms, count as int):
    first open, highest high, lowest low, last close, sums of volumes and trade counts."""
    days: dict[int, list[list[str]]] = {}
    for line in lines:
        fields = line.decode().split(",")
        open_ms = int(fields[0]) // (1_000 if int(fields[0]) > 10**13 else 1)
        days.setdefault(open_ms - open_ms % 86_400_000, []).append(fields)
    candles = []
    for start, group in days.items():
        candle: list = [start, Decimal(group[0][1])]
        candle += [max(Decimal(f[2]) for f in group), min(Decimal(f[3]) for f in group)]
        candle += [Decimal(group[-1][4]), sum(Decimal(f[5]) for f in group), None]
        candle += [sum(Decimal(f[7]) for f in group), sum(int(f[8]) for f in group)]
        candle += [sum(Decimal(f[i]) for f in group) for i in (9, 10)]
        candles.append(candle)
    return candles


@pytest.mark.parametrize(
    ("market", "symbol", "period", "rows"),
    [("spot", "BTCUSDT", "2025-01", 31), ("um", "SOLUSDT", "2025-02-01", 1)],
)
def test_mirror_1d_files_are_the_resample_of_1m_files(archive_mirror, market, symbol, period, rows):
    """Exactly, volumes too (the exchange sums decimals), so a warehouse that resamples 1m
    candles can reconcile them with the 1d files to the last digit."""
    expected = _resample_daily(data_lines(archive_mirror / kline_path(market, symbol, period)))
    daily = data_lines(archive_mirror / kline_path(market, symbol, period, "1d"))
    assert len(daily) == len(expected) == rows
    unit = 1_000 if market == "spot" else 1  # units per millisecond
    for line, resampled in zip(daily, expected, strict=True):
        f = line.decode().split(",")
        assert int(f[0]) == resampled[0] * unit
        assert int(f[6]) == (resampled[0] + 86_400_000) * unit - 1  # the day's last unit
        assert [Decimal(value) for value in f[1:6]] == resampled[1:6]
        assert [Decimal(f[7]), int(f[8]), Decimal(f[9]), Decimal(f[10])] == resampled[7:]


def test_mirror_checksums_match_their_zips(archive_mirror):
    for path in archive_mirror.rglob("*.zip"):
        body = path.with_name(path.name + ".CHECKSUM").read_text()
        assert body == f"{sha256_of(path)}  {path.name}\n"


def test_mirror_is_deterministic(archive_mirror, tmp_path):
    """Same arguments, same bytes, written by one thread or several; and a file does not depend
    on the range generated with it."""
    symbols = ["BTCUSDT", "ETHUSDT", "DOGEUSDT"]
    for name, jobs in (("a", 1), ("b", 3)):
        write_mirror(
            tmp_path / name,
            symbols,
            date(2024, 12, 30),
            datetime(2024, 12, 31, 12, tzinfo=UTC),
            jobs=jobs,
        )
    paths = relative_zips(tmp_path / "a")
    assert paths == {kline_path("spot", symbol, "2024-12-30") for symbol in symbols}
    for path in paths:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
    path = kline_path("spot", "BTCUSDT", "2024-12-30")
    assert csv_lines(tmp_path / "a" / path)[0].startswith(b"1735516800000,")  # ms in 2024

    write_mirror(tmp_path / "c", ["BTCUSDT"], date(2025, 2, 1), datetime(2025, 2, 2, tzinfo=UTC))
    (path,) = relative_zips(tmp_path / "c")
    assert path == kline_path("spot", "BTCUSDT", "2025-02-01")
    assert (tmp_path / "c" / path).read_bytes() == (archive_mirror / path).read_bytes()


def test_mirror_is_served_over_http(archive_mirror):
    """The test server works, so HTTP failures below come from the source, not the server."""
    path = kline_path("spot", "BTCUSDT", "2025-02-01")
    with serve(archive_mirror) as server:
        with urllib.request.urlopen(f"{server.base_url}/{path}", timeout=10) as response:
            assert response.read() == (archive_mirror / path).read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{server.base_url}/data/nothing.zip", timeout=10)
        assert missing.value.code == 404
    assert server.statuses(path) == [200]
    assert server.statuses("data/nothing.zip") == [404]


def test_the_source_plans_exactly_the_mirror_files():
    files = planned_files(MARKETS, SYMBOLS, ["1m"], START, NOW, funding_rates=True)
    assert sorted(file.path for file in files) == sorted(ARCHIVE_PATHS)


# --- a full load over HTTP, then a second run ---------------------------------------------------


@dataclass
class RunRecord:
    rejected: RejectedFiles
    requests: list[Request]
    counts: dict[str, int]
    started: datetime
    finished: datetime


@dataclass
class Loaded:
    workdir: Path
    first: RunRecord
    second: RunRecord


@pytest.fixture(scope="module")
def loaded(archive_mirror, tmp_path_factory) -> Loaded:
    """The mirror loaded over HTTP, then loaded again with nothing changed."""
    workdir = tmp_path_factory.mktemp("loaded")
    records = []
    with serve(archive_mirror) as server:
        for _ in range(2):
            server.clear()
            started = datetime.now(UTC)
            rejected = run_pipeline(workdir, server.base_url, ARCHIVE_SOURCE)
            records.append(
                RunRecord(
                    rejected,
                    list(server.requests),
                    table_counts(workdir),
                    started,
                    datetime.now(UTC),
                )
            )
    return Loaded(workdir, *records)


def test_every_csv_line_is_loaded_exactly_once(loaded, archive_mirror):
    assert loaded.first.rejected.errors == []
    expected = {path: len(data_lines(archive_mirror / path)) for path in ARCHIVE_PATHS}
    klines = {path: count for path, count in expected.items() if "/klines/" in path}
    funding = {path: count for path, count in expected.items() if "/fundingRate/" in path}
    assert rows_per_file(loaded.workdir) == klines
    assert rows_per_file(loaded.workdir, "funding_rates") == funding
    assert duplicate_keys(loaded.workdir) == []
    btc_per_market = MINUTES_JANUARY - MAINTENANCE_MINUTES + 2 * MINUTES_PER_DAY
    assert sum(klines[p] for p in klines if "BTCUSDT" in p) == 2 * btc_per_market
    assert loaded.first.counts == {
        "klines": sum(klines.values()),
        "funding_rates": 2 * 31 * 3,
        "archive_files": len(ARCHIVE_PATHS),
        "rejected_rows": 0,
    }


def test_constant_columns_source_file_and_load_id(loaded):
    rows = query(
        loaded.workdir,
        "select distinct exchange, market, interval, data_source from raw_exchange.klines "
        "order by all",
    )
    assert rows == [("binance", "spot", "1m", "archive"), ("binance", "um", "1m", "archive")]
    # Every row names its file, and the file is the row's market, symbol and interval.
    mismatched = query(
        loaded.workdir,
        "select count(*) from raw_exchange.klines where source_file is null "
        "or source_file not like case market when 'spot' then 'data/spot/%' "
        "else 'data/futures/um/%' end || '/klines/' || symbol || '/' || interval || '/%'",
    )
    assert mismatched == [(0,)]
    (first_load,) = load_ids(loaded.workdir)[:1]
    for table in RAW_TABLES[:3]:
        ids = query(loaded.workdir, f"select distinct _dlt_load_id from raw_exchange.{table}")
        assert ids == [(first_load,)], table


@pytest.mark.parametrize(
    "path",
    [
        kline_path("spot", "BTCUSDT", "2025-01"),  # microseconds, no header
        kline_path("um", "SOLUSDT", "2025-01"),  # milliseconds, header
        kline_path("spot", "SOLUSDT", "2025-02-02"),
        kline_path("um", "BTCUSDT", "2025-02-01"),
    ],
)
def test_loaded_rows_equal_the_csv_text(loaded, archive_mirror, path):
    """Every value of every row of the file, decimals with all eight places."""
    assert loaded_kline_rows(loaded.workdir, path) == expected_kline_rows(archive_mirror, path)


def test_milliseconds_and_microseconds_give_the_same_instants(loaded):
    """Spot (µs) and USD-M (ms) files of the same minutes load to the same UTC instants."""
    rows = query(
        loaded.workdir,
        "select market, min(open_time), min(open_time at time zone 'UTC'), "
        "min(epoch_us(open_time)), count(distinct epoch_us(close_time) - epoch_us(open_time)), "
        "min(epoch_us(close_time) - epoch_us(open_time)) from raw_exchange.klines "
        "where symbol = 'BTCUSDT' group by all order by all",
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert rows == [
        ("spot", start, start.replace(tzinfo=None), 1735689600000000, 1, 59_999_999),
        ("um", start, start.replace(tzinfo=None), 1735689600000000, 1, 59_999_000),
    ]
    # Both markets have a candle for the same minutes, so the instants must coincide exactly.
    for one, other in (("spot", "um"), ("um", "spot")):
        only_in_one = query(
            loaded.workdir,
            "select count(*) from (select symbol, open_time from raw_exchange.klines "
            "where market = ? except select symbol, open_time from raw_exchange.klines "
            "where market = ?)",
            [one, other],
        )
        assert only_in_one == [(0,)]


def test_first_candle_of_each_file_is_midnight_utc(loaded):
    rows = query(
        loaded.workdir,
        "select source_file, min(open_time) from raw_exchange.klines group by all",
    )
    for source_file, first in rows:
        period = source_file.removesuffix(".zip").split("-1m-")[1]
        day = date.fromisoformat(period if len(period) == 10 else f"{period}-01")
        assert first == datetime.combine(day, datetime.min.time(), UTC), source_file


def test_no_candles_in_the_maintenance_window(loaded):
    rows = query(
        loaded.workdir,
        "select market, symbol, count(*) filter (where open_time >= ? and open_time < ?), "
        "count(*) filter (where open_time = ?), count(*) filter (where open_time = ?) "
        "from raw_exchange.klines where symbol = 'BTCUSDT' group by all order by all",
        [
            MAINTENANCE_START,
            MAINTENANCE_END,
            MAINTENANCE_START - timedelta(minutes=1),
            MAINTENANCE_END,
        ],
    )
    # None inside [02:00, 03:30); the candles right before and at the end of it exist.
    assert rows == [("spot", "BTCUSDT", 0, 1, 1), ("um", "BTCUSDT", 0, 1, 1)]


def test_funding_rates_equal_the_csv_text(loaded, archive_mirror):
    for path in ARCHIVE_FUNDING_PATHS:
        expected = [
            (int(f[0]) * 1_000, int(f[1]), f[2])
            for f in (line.decode().split(",") for line in data_lines(archive_mirror / path))
        ]
        rows = query(
            loaded.workdir,
            "select epoch_us(funding_time), funding_interval_hours, funding_rate::varchar "
            "from raw_exchange.funding_rates where source_file = ? order by funding_time",
            [path],
        )
        assert rows == expected
    constants = query(
        loaded.workdir,
        "select distinct exchange, market, symbol from raw_exchange.funding_rates order by all",
    )
    assert constants == [("binance", "um", symbol) for symbol in SYMBOLS]


def _expected_file_metadata(path: str) -> tuple:
    market = "um" if path.startswith("data/futures/um/") else "spot"
    symbol = path.split("/")[-1].split("-")[0]
    if "/fundingRate/" in path:
        return (market, "fundingRate", symbol, None, "monthly", date(2025, 1, 1), date(2025, 1, 31))
    if "/monthly/" in path:
        return (market, "klines", symbol, "1m", "monthly", date(2025, 1, 1), date(2025, 1, 31))
    day = date.fromisoformat(path.removesuffix(".zip")[-10:])
    return (market, "klines", symbol, "1m", "daily", day, day)


def test_archive_files_has_one_row_per_file(loaded, archive_mirror):
    rows = query(
        loaded.workdir,
        "select path, exchange, market, data_type, symbol, interval, period, period_start, "
        "period_end, checksum, size_bytes, row_count, rejected_row_count, status, error, "
        "loaded_at from raw_exchange.archive_files order by path",
    )
    assert [row[0] for row in rows] == sorted(ARCHIVE_PATHS)
    for path, exchange, *metadata, checksum, size, row_count, rejected, status, error, at in rows:
        file = archive_mirror / path
        assert (exchange, *metadata) == ("binance", *_expected_file_metadata(path))
        assert checksum == sha256_of(file)
        assert size == file.stat().st_size
        assert row_count == len(data_lines(file))
        assert (rejected, status, error) == (0, "loaded", None)
        assert loaded.first.started <= at <= loaded.first.finished


def test_rerun_downloads_only_checksums_and_changes_nothing(loaded):
    first, second = loaded.first, loaded.second
    assert second.rejected.errors == []
    first_zips = sorted(r.path for r in first.requests if r.path.endswith(".zip"))
    assert first_zips == sorted(ARCHIVE_PATHS)
    # The second run reads each .CHECKSUM once, finds it known, and downloads no zip.
    assert sorted(r.path for r in second.requests) == sorted(f"{p}.CHECKSUM" for p in ARCHIVE_PATHS)
    assert {r.status for r in second.requests} == {200}
    assert second.counts == first.counts
    assert duplicate_keys(loaded.workdir) == []
    first_load = load_ids(loaded.workdir)[0]
    rewritten = query(
        loaded.workdir,
        "select count(*) from raw_exchange.archive_files where _dlt_load_id <> ?",
        [first_load],
    )
    assert rewritten == [(0,)]


# --- other intervals and data types -------------------------------------------------------------


def test_daily_candles_load_from_1d_files(archive_mirror, tmp_path):
    rejected = run_pipeline(tmp_path, str(archive_mirror), {**ARCHIVE_SOURCE, "intervals": ["1d"]})
    assert rejected.errors == []
    expected = {path: len(data_lines(archive_mirror / path)) for path in archive_kline_paths("1d")}
    assert rows_per_file(tmp_path) == expected
    assert set(expected.values()) == {31, 1}  # January, then one candle per daily file
    spans = query(
        tmp_path,
        "select distinct market, interval, epoch_us(close_time) - epoch_us(open_time) "
        "from raw_exchange.klines order by all",
    )
    assert spans == [("spot", "1d", 86_399_999_999), ("um", "1d", 86_399_999_000)]
    path = kline_path("um", "SOLUSDT", "2025-01", "1d")
    assert loaded_kline_rows(tmp_path, path) == expected_kline_rows(archive_mirror, path)


@pytest.fixture(scope="module")
def funding_mirror(tmp_path_factory) -> Path:
    """Funding rates only (no kline files), January and February 2025."""
    return shared_mirror(
        tmp_path_factory,
        "funding-mirror",
        symbols=SYMBOLS,
        start=START,
        now=datetime(2025, 3, 1, tzinfo=UTC),
        markets=("um",),
        intervals=(),
    )


def test_funding_interval_changes_from_8h_to_4h(funding_mirror, tmp_path):
    source = {**ARCHIVE_SOURCE, "markets": ["um"], "intervals": [], "end_date": "2025-02-28"}
    assert run_pipeline(tmp_path, str(funding_mirror), source).errors == []
    rows = query(
        tmp_path,
        "select symbol, strftime(funding_time at time zone 'UTC', '%Y-%m'), "
        "funding_interval_hours, count(*), "
        "count(distinct epoch_us(funding_time) % (funding_interval_hours * 3600000000)) "
        "from raw_exchange.funding_rates group by all order by all",
    )
    assert rows == [
        ("BTCUSDT", "2025-01", 8, 31 * 3, 1),
        ("BTCUSDT", "2025-02", 8, 28 * 3, 1),
        ("SOLUSDT", "2025-01", 8, 31 * 3, 1),
        ("SOLUSDT", "2025-02", 4, 28 * 6, 1),  # every 4 hours, on the hour
    ]
    (change,) = query(
        tmp_path,
        "select min(funding_time) from raw_exchange.funding_rates "
        "where symbol = 'SOLUSDT' and funding_interval_hours = 4",
    )
    assert change == (datetime(2025, 2, 1, tzinfo=UTC),)
    assert table_counts(tmp_path)["klines"] == 0
    assert rows_per_file(tmp_path, "funding_rates") == {
        funding_path(symbol, month): len(data_lines(funding_mirror / funding_path(symbol, month)))
        for symbol in SYMBOLS
        for month in ("2025-01", "2025-02")
    }


def test_missing_archive_folder_fails_the_run_with_a_clear_message(tmp_path):
    missing = tmp_path / "no-such-mirror"
    with pytest.raises(PipelineStepFailed) as failure:
        run_pipeline(tmp_path, str(missing), ARCHIVE_SOURCE)
    assert str(missing) in str(failure.value)
    assert "SOURCES__EXCHANGE__ARCHIVE_BASE_URL" in str(failure.value)
    causes = []
    error: BaseException | None = failure.value
    while error is not None:
        causes.append(error)
        error = error.__cause__
    archive_errors = [cause for cause in causes if isinstance(cause, ArchiveError)]
    assert len(archive_errors) == 1
    assert str(missing) in str(archive_errors[0])


# --- units of the archive module ----------------------------------------------------------------


def test_to_utc_timestamp_mixes_milliseconds_and_microseconds():
    epochs = pa.chunked_array(
        [
            pa.array([1733011200000, 1735689600000000], pa.int64()),
            pa.array([1735689659999999, None, 1733011259999], pa.int64()),
        ]
    )
    result = to_utc_timestamp(epochs)
    assert result.type == TIMESTAMP == pa.timestamp("us", tz="UTC")
    assert result.to_pylist() == [
        datetime(2024, 12, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 59, 999_999, tzinfo=UTC),
        None,
        datetime(2024, 12, 1, 0, 0, 59, 999_000, tzinfo=UTC),
    ]


def test_to_utc_timestamp_threshold_between_units():
    """Values up to 10**13 are milliseconds (10**13 ms is in 2286); larger ones microseconds."""
    result = to_utc_timestamp(pa.chunked_array([pa.array([10**13, 10**13 + 1], pa.int64())]))
    assert result.cast(pa.int64()).to_pylist() == [10**16, 10**13 + 1]


def test_to_utc_timestamp_of_an_empty_array():
    result = to_utc_timestamp(pa.chunked_array([], pa.int64()))
    assert result.type == TIMESTAMP
    assert len(result) == 0


KLINE_ROW = b"1735689600000,100.5,101,99.25,100.75,12.5,1735689659999,1259.375,42,6.25,629.6875,0"
FUNDING_ROW = b"1735689600000,8,0.00010000"


@pytest.mark.parametrize(
    ("csv_format", "header", "row"),
    [(KLINE_CSV, KLINE_HEADER, KLINE_ROW), (FUNDING_RATE_CSV, FUNDING_HEADER, FUNDING_ROW)],
    ids=["klines", "funding"],
)
def test_read_archive_csv_sniffs_the_header(csv_format, header, row):
    without, rejected_without = read_archive_csv((row + b"\n") * 3, csv_format, "plain.csv")
    with_header, rejected_with = read_archive_csv(
        header + b"\n" + (row + b"\n") * 3, csv_format, "headed.csv"
    )
    assert rejected_without == rejected_with == []
    assert without.equals(with_header)
    assert without.num_rows == 3
    assert without.column_names == list(csv_format.types)
    assert "ignore" not in without.column_names


def test_read_archive_csv_keeps_decimals_exact():
    table, _ = read_archive_csv(KLINE_ROW + b"\n", KLINE_CSV, "x.csv")
    assert table["open"][0].as_py() == Decimal("100.50000000")
    assert str(table["taker_buy_quote_volume"][0].as_py()) == "629.68750000"


def test_read_archive_csv_quarantines_bad_lines_with_their_line_number():
    """Line numbers are 1-based lines of the file, the header counted."""
    bad = {
        3: (b"1735689720000,100.5,101", "expected 12 fields, found 3"),
        4: (KLINE_ROW.replace(b",101,", b",n/a,"), "high is not a number: 'n/a'"),
        5: (b"," + KLINE_ROW.partition(b",")[2], "open_time is empty"),
        6: (KLINE_ROW.replace(b",99.25,", b",99.123456789,"), "low has more than 8 decimal"),
    }
    lines = [KLINE_HEADER, KLINE_ROW, *(line for line, _ in bad.values()), KLINE_ROW]
    table, rejected = read_archive_csv(b"\r\n".join(lines) + b"\r\n", KLINE_CSV, "x.csv")
    assert table.num_rows == 2
    assert [(row.line_number, row.raw_line.encode()) for row in rejected] == [
        (number, line) for number, (line, _) in bad.items()
    ]
    for row, (_, reason) in zip(rejected, bad.values(), strict=True):
        assert row.reason.startswith(reason)


def test_read_archive_csv_of_a_header_and_one_row_without_final_newline():
    """A USD-M 1d daily file holds a header and a single candle."""
    for csv_format, header, row in (
        (KLINE_CSV, KLINE_HEADER, KLINE_ROW),
        (FUNDING_RATE_CSV, FUNDING_HEADER, FUNDING_ROW),
    ):
        table, rejected = read_archive_csv(header + b"\n" + row, csv_format, "x.csv")
        assert (table.num_rows, rejected) == (1, []), csv_format.columns[0]


@pytest.mark.parametrize(
    "line",
    [
        KLINE_ROW.replace(b"1735689600000,", b"99999999999999999999,", 1),  # beyond int64
        KLINE_ROW.replace(b",100.5,", b"," + b"9" * 31 + b".5,"),  # beyond decimal(38, 8)
    ],
    ids=["int64-overflow", "decimal-overflow"],
)
def test_read_archive_csv_quarantines_out_of_range_values(line):
    """One line out of range is quarantined; the rest of the file still loads."""
    table, rejected = read_archive_csv(
        b"\n".join([KLINE_ROW, line, KLINE_ROW]) + b"\n", KLINE_CSV, "x.csv"
    )
    assert table.num_rows == 2
    assert [(row.line_number, row.raw_line.encode()) for row in rejected] == [(2, line)]


def test_unzip_csv_rejects_a_zip_with_two_csv_files():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "1,2\n")
        archive.writestr("b.csv", "1,2\n")
    with pytest.raises(ArchiveError, match=r"two\.zip: expected one CSV file"):
        unzip_csv(buffer.getvalue(), "two.zip")


def _zip_of(csv: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("BTCUSDT-1m-2025-01-02.csv", csv)
    return bytearray(buffer.getvalue())


def _set_local_and_central(content: bytearray, offset: int, value: int) -> bytearray:
    """Set a 2-byte field of the local header (``offset``) and of the central directory entry
    (the same field sits 2 bytes further there)."""
    struct.pack_into("<H", content, offset, value)
    struct.pack_into("<H", content, content.rfind(b"PK\x01\x02") + offset + 2, value)
    return content


CSV_100 = (KLINE_ROW + b"\n") * 100


def _reserved_deflate_block() -> bytearray:
    """A deflated member whose first block has the reserved block type (zlib refuses it)."""
    content = _zip_of(CSV_100)
    content[member_data_offset(content)] |= 0b110
    return content


def _corrupt_stream(method: int) -> bytearray:
    content = _zip_of(CSV_100, method)
    content[member_data_offset(content) + 12] ^= 0xFF
    return content


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(
            _reserved_deflate_block(),
            "Error -3 while decompressing data: invalid block type",
            id="deflate",
        ),
        pytest.param(_corrupt_stream(zipfile.ZIP_BZIP2), "Invalid data stream", id="bzip2"),
        pytest.param(_corrupt_stream(zipfile.ZIP_LZMA), "Corrupt input data", id="lzma"),
        pytest.param(
            _set_local_and_central(_zip_of(CSV_100), 8, 99),
            "That compression method is not supported",
            id="unknown-method",
        ),
        pytest.param(
            _set_local_and_central(_zip_of(CSV_100), 6, 1), "is encrypted", id="encrypted"
        ),
    ],
)
def test_unzip_csv_rejects_unreadable_compressed_data(content, reason):
    """Headers intact, data unreadable: an ArchiveError naming the file and the reason."""
    with pytest.raises(ArchiveError) as raised:
        unzip_csv(bytes(content), "dir/file.zip")
    assert str(raised.value).startswith("dir/file.zip: not a readable zip file (")
    assert reason in str(raised.value)


def test_unzip_csv_reads_or_rejects_every_corruption():
    """Random damage anywhere in a zip (headers, data, directory; bytes changed or cut off):
    the CSV comes out intact, or an ArchiveError names the file. Never another exception."""
    content = bytes(_zip_of(CSV_100))
    rng = random.Random(20250102)
    for _ in range(3000):
        damaged = bytearray(content)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.1:
            damaged = damaged[: rng.randrange(len(damaged))]
        try:
            assert unzip_csv(bytes(damaged), "dir/file.zip") == CSV_100
        except ArchiveError as error:
            assert str(error).startswith("dir/file.zip: ")


def test_verify_checksum():
    content = b"payload"
    digest = hashlib.sha256(content).hexdigest()
    verify_checksum(content, f"{digest}  file.zip\n".encode(), "file.zip")
    verify_checksum(content, f"{digest.upper()}  file.zip\n".encode(), "file.zip")
    with pytest.raises(ArchiveError, match=r"file\.zip: checksum mismatch.*says nothing"):
        verify_checksum(content, b"  \n", "file.zip")
    with pytest.raises(ArchiveError, match="checksum mismatch"):
        verify_checksum(content + b"!", f"{digest}  file.zip\n".encode(), "file.zip")


def test_load_archive_file_outcomes(archive_mirror, tmp_path):
    file = monthly_klines("spot", "BTCUSDT", "1m", JANUARY)
    reader = ArchiveReader(str(archive_mirror))
    loaded_file = load_archive_file(reader, file)
    assert loaded_file.status == "loaded"
    assert loaded_file.checksum == sha256_of(archive_mirror / file.path)
    assert loaded_file.table is not None
    assert loaded_file.table.num_rows == MINUTES_JANUARY - MAINTENANCE_MINUTES
    assert load_archive_file(reader, file, loaded_file.checksum).status == "unchanged"
    later = monthly_klines("spot", "BTCUSDT", "1m", JANUARY.next())
    assert load_archive_file(reader, later).status == "not_published"

    # A zip without its .CHECKSUM cannot be verified, so it is rejected.
    copy = tmp_path / file.path
    copy.parent.mkdir(parents=True)
    copy.write_bytes((archive_mirror / file.path).read_bytes())
    outcome = load_archive_file(ArchiveReader(str(tmp_path)), file)
    assert outcome.status == "rejected"
    assert outcome.error is not None
    assert "BTCUSDT-1m-2025-01.zip: no .CHECKSUM file" in outcome.error


def test_file_url_reader(archive_mirror):
    path = kline_path("um", "SOLUSDT", "2025-02-02")
    reader = ArchiveReader(archive_mirror.as_uri())
    reader.check_available()
    assert reader.fetch(path) == (archive_mirror / path).read_bytes()
    assert reader.fetch("data/nothing.zip") is None


def test_http_reader(archive_mirror):
    path = kline_path("um", "SOLUSDT", "2025-02-02")
    with serve(archive_mirror) as server:
        reader = ArchiveReader(server.base_url)
        reader.check_available()
        assert reader.fetch(path) == (archive_mirror / path).read_bytes()
        assert reader.fetch("data/nothing.zip") is None
