"""The Binance-archive source against a generated local mirror, loaded by dlt into a real DuckDB.

The mirror is served both as a folder and over real HTTP (a ``ThreadingHTTPServer`` on 127.0.0.1).
Expected values are computed independently of the source: row counts by unzipping the files and
counting CSV lines, prices by reading the CSV text, instants from the calendar.
"""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.exchange import ArchiveError, RejectedFiles, exchange_source
from ingestion.exchange.archive import (
    TIMESTAMP,
    ArchiveReader,
    KlineFile,
    load_kline_file,
    read_kline_csv,
    to_utc_timestamp,
    verify_checksum,
)
from ingestion.exchange.layout import Month
from ingestion.exchange.mirror import write_mirror

SYMBOLS = ("BTCUSDT", "ETHUSDT")
MONTHS = ("2024-12", "2025-01")
MINUTES_DECEMBER = 31 * 24 * 60
MAINTENANCE_START = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)
MAINTENANCE_END = datetime(2025, 1, 15, 3, 30, tzinfo=UTC)
MAINTENANCE_MINUTES = 90
KEY = "exchange, market, symbol, interval, open_time"
MONTH_OF = "strftime(open_time at time zone 'UTC', '%Y-%m')"

# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _no_telemetry() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        patch.setenv("DO_NOT_TRACK", "1")
        yield


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mirror")
    write_mirror(root, symbols=list(SYMBOLS), first=Month(2024, 12), last=Month(2025, 1))
    return root


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free local port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def zip_path(root: Path, symbol: str, month: str) -> Path:
    (path,) = root.rglob(f"{symbol}-1m-{month}.zip")
    return path


def csv_lines(path: Path) -> list[bytes]:
    """The lines of the only member of a zip, read with nothing but ``zipfile``."""
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        return archive.read(member).splitlines()


def write_zip_with_checksum(path: Path, member: str, csv: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, csv)
    path.write_bytes(buffer.getvalue())
    write_checksum(path)


def write_checksum(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".CHECKSUM").write_text(f"{digest}  {path.name}\n")


def run_pipeline(
    workdir: Path,
    base_url: str,
    *,
    symbols=SYMBOLS,
    start_month: str = MONTHS[0],
    end_month: str = MONTHS[-1],
    markets=("spot",),
    pipeline: dlt.Pipeline | None = None,
) -> tuple[dlt.Pipeline, RejectedFiles]:
    if pipeline is None:
        pipeline = dlt.pipeline(
            pipeline_name="exchange_test",
            destination=dlt.destinations.duckdb(str(workdir / "tributary.duckdb")),
            dataset_name="raw_exchange",
            pipelines_dir=str(workdir / "dlt"),
        )
    rejected = RejectedFiles()
    source = exchange_source(
        archive_base_url=base_url,
        markets=list(markets),
        symbols=list(symbols),
        intervals=["1m"],
        start_month=start_month,
        end_month=end_month,
        rejected=rejected,
    )
    pipeline.run(source)
    return pipeline, rejected


def query(workdir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(workdir / "tributary.duckdb"), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def rows_per_file(workdir: Path) -> dict[tuple[str, str], int]:
    rows = query(
        workdir,
        f"select symbol, {MONTH_OF}, count(*) from raw_exchange.klines group by all",
    )
    return {(symbol, month): count for symbol, month, count in rows}


def expected_rows_per_file(
    root: Path, symbols=SYMBOLS, months=MONTHS
) -> dict[tuple[str, str], int]:
    return {
        (symbol, month): len(csv_lines(zip_path(root, symbol, month)))
        for symbol in symbols
        for month in months
    }


@pytest.fixture
def mirror_copy(mirror, tmp_path) -> Path:
    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy)
    return copy


# --- the mirror itself -------------------------------------------------------------------------


def test_mirror_files_have_the_expected_shape(mirror):
    """Guards the premises of the other tests: units per era, no header, calendar row counts."""
    december = csv_lines(zip_path(mirror, "BTCUSDT", "2024-12"))
    january = csv_lines(zip_path(mirror, "BTCUSDT", "2025-01"))
    assert december[0].split(b",")[0] == b"1733011200000"  # ms, 2024-12-01T00:00Z
    assert december[0].split(b",")[6] == b"1733011259999"
    assert january[0].split(b",")[0] == b"1735689600000000"  # µs, 2025-01-01T00:00Z
    assert january[0].split(b",")[6] == b"1735689659999999"
    assert len(december) == MINUTES_DECEMBER
    assert len(january) == MINUTES_DECEMBER - MAINTENANCE_MINUTES


def test_mirror_is_deterministic_and_checksums_match(mirror, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        write_mirror(root, symbols=["ETHUSDT"], first=Month(2024, 12), last=Month(2024, 12))
    one, two = zip_path(first, "ETHUSDT", "2024-12"), zip_path(second, "ETHUSDT", "2024-12")
    assert one.read_bytes() == two.read_bytes()
    # A month's file does not depend on the range it was generated with.
    assert one.read_bytes() == zip_path(mirror, "ETHUSDT", "2024-12").read_bytes()
    for path in (one, two):
        body = path.with_name(path.name + ".CHECKSUM").read_text()
        assert body == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"


def test_mirror_is_served_over_http(mirror):
    """The test server works, so HTTP failures below come from the source, not the server."""
    path = zip_path(mirror, "BTCUSDT", "2024-12")
    relative = path.relative_to(mirror).as_posix()
    with serve(mirror) as base_url:
        with urllib.request.urlopen(f"{base_url}/{relative}", timeout=10) as response:
            assert response.read() == path.read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base_url}/data/nothing.zip", timeout=10)
        assert missing.value.code == 404


# --- a full load, from a folder and over HTTP --------------------------------------------------


@dataclass
class Loaded:
    workdir: Path
    rejected: RejectedFiles


@pytest.fixture(
    scope="module",
    params=["folder", "http"],
)
def loaded(request, mirror, tmp_path_factory) -> Loaded:
    workdir = tmp_path_factory.mktemp(f"load-{request.param}")
    if request.param == "http":
        with serve(mirror) as base_url:
            _, rejected = run_pipeline(workdir, base_url)
    else:
        _, rejected = run_pipeline(workdir, str(mirror))
    return Loaded(workdir, rejected)


def test_every_csv_line_is_loaded(loaded, mirror):
    assert loaded.rejected.errors == []
    expected = expected_rows_per_file(mirror)
    assert rows_per_file(loaded.workdir) == expected
    (total,) = query(loaded.workdir, "select count(*) from raw_exchange.klines")[0]
    assert total == sum(expected.values()) == 2 * (2 * MINUTES_DECEMBER - MAINTENANCE_MINUTES)


def test_constant_columns(loaded):
    rows = query(
        loaded.workdir,
        "select distinct exchange, market, interval, data_source from raw_exchange.klines",
    )
    assert rows == [("binance", "spot", "1m", "archive")]


def test_first_candle_of_each_month_is_midnight_utc(loaded):
    rows = query(
        loaded.workdir,
        f"select symbol, {MONTH_OF} as month, min(open_time), "
        "min(open_time at time zone 'UTC'), min(epoch_us(open_time)) "
        "from raw_exchange.klines group by all order by all",
    )
    expected_start = {
        "2024-12": datetime(2024, 12, 1, tzinfo=UTC),  # millisecond file
        "2025-01": datetime(2025, 1, 1, tzinfo=UTC),  # microsecond file
    }
    assert len(rows) == 4
    for _symbol, month, aware, naive_utc, epoch_us in rows:
        start = expected_start[month]
        assert aware == start  # TIMESTAMPTZ comes back timezone-aware
        assert naive_utc == start.replace(tzinfo=None)
        assert epoch_us == int(start.timestamp()) * 1_000_000


def test_close_time_is_the_last_unit_of_the_minute(loaded):
    """close_time - open_time is 59.999 s in the millisecond era, 59.999999 s in the µs era.

    The archive writes close_time as the last millisecond (2024) or the last microsecond (spot
    from 2025) of the candle, and the source keeps it as written.
    """
    rows = query(
        loaded.workdir,
        f"select {MONTH_OF}, epoch_us(close_time) - epoch_us(open_time) as span "
        "from raw_exchange.klines group by all order by all",
    )
    assert rows == [("2024-12", 59_999_000), ("2025-01", 59_999_999)]


def test_no_candles_in_the_maintenance_window(loaded):
    rows = query(
        loaded.workdir,
        "select symbol, count(*) filter (where open_time >= ? and open_time < ?), "
        "count(*) filter (where open_time = ?), count(*) filter (where open_time = ?) "
        "from raw_exchange.klines group by symbol order by symbol",
        [
            MAINTENANCE_START,
            MAINTENANCE_END,
            MAINTENANCE_START - timedelta(minutes=1),
            MAINTENANCE_END,
        ],
    )
    # None inside [02:00, 03:30); the candles right before and at the end of it exist.
    assert rows == [("BTCUSDT", 0, 1, 1), ("ETHUSDT", 0, 1, 1)]


@pytest.mark.parametrize("symbol", SYMBOLS)
@pytest.mark.parametrize("month", MONTHS)
@pytest.mark.parametrize("line_number", [0, 12_345])
def test_loaded_row_equals_csv_text(loaded, mirror, symbol, month, line_number):
    fields = csv_lines(zip_path(mirror, symbol, month))[line_number].decode().split(",")
    open_epoch, close_epoch = int(fields[0]), int(fields[6])
    scale = 1 if month == "2025-01" else 1_000  # to microseconds
    rows = query(
        loaded.workdir,
        "select open, high, low, close, volume, quote_volume, trade_count, taker_buy_volume, "
        "taker_buy_quote_volume, epoch_us(close_time) from raw_exchange.klines "
        "where symbol = ? and epoch_us(open_time) = ?",
        [symbol, open_epoch * scale],
    )
    assert len(rows) == 1
    (open_, high, low, close, volume, quote_volume, trades, taker, taker_quote, close_us) = rows[0]
    assert open_ == Decimal(fields[1])
    assert high == Decimal(fields[2])
    assert low == Decimal(fields[3])
    assert close == Decimal(fields[4])
    assert volume == Decimal(fields[5])
    assert quote_volume == Decimal(fields[7])
    assert trades == int(fields[8])
    assert taker == Decimal(fields[9])
    assert taker_quote == Decimal(fields[10])
    assert close_us == close_epoch * scale
    assert isinstance(open_, Decimal)
    assert str(open_) == fields[1]  # the exact text, all eight decimals kept


# --- re-runs and partial failures --------------------------------------------------------------


def test_rerun_is_idempotent(mirror, tmp_path):
    pipeline, first = run_pipeline(tmp_path, str(mirror))
    counts = rows_per_file(tmp_path)
    _, second = run_pipeline(tmp_path, str(mirror), pipeline=pipeline)
    assert first.errors == second.errors == []
    assert rows_per_file(tmp_path) == counts == expected_rows_per_file(mirror)
    duplicates = query(
        tmp_path,
        f"select {KEY}, count(*) from raw_exchange.klines group by all having count(*) > 1",
    )
    assert duplicates == []
    (loads,) = query(tmp_path, "select count(*) from raw_exchange._dlt_loads")[0]
    assert loads == 2


def tamper_checksum_file(path: Path) -> None:
    path.with_name(path.name + ".CHECKSUM").write_text(f"{'0' * 64}  {path.name}\n")


def tamper_zip_after_checksum(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("tamper", [tamper_checksum_file, tamper_zip_after_checksum])
def test_checksum_mismatch_rejects_only_that_file(mirror, mirror_copy, tmp_path, tamper):
    bad = zip_path(mirror_copy, "ETHUSDT", "2025-01")
    tamper(bad)
    _, rejected = run_pipeline(tmp_path, str(mirror_copy))

    assert len(rejected.errors) == 1
    message = str(rejected.errors[0])
    assert bad.name in message
    assert "checksum mismatch" in message
    with pytest.raises(ArchiveError, match=bad.name):
        rejected.raise_if_any()

    expected = expected_rows_per_file(mirror)  # the pristine files
    del expected[("ETHUSDT", "2025-01")]
    assert rows_per_file(tmp_path) == expected


def test_unreadable_zip_with_a_matching_checksum_is_rejected(mirror, mirror_copy, tmp_path):
    bad = zip_path(mirror_copy, "BTCUSDT", "2024-12")
    bad.write_bytes(b"this is not a zip file\x00" * 64)
    write_checksum(bad)
    _, rejected = run_pipeline(tmp_path, str(mirror_copy))

    assert len(rejected.errors) == 1
    message = str(rejected.errors[0])
    assert bad.name in message
    assert "not a readable zip" in message
    expected = expected_rows_per_file(mirror)  # the pristine files
    del expected[("BTCUSDT", "2024-12")]
    assert rows_per_file(tmp_path) == expected


def test_malformed_csv_row_rejects_the_whole_file(mirror, mirror_copy, tmp_path):
    bad = zip_path(mirror_copy, "ETHUSDT", "2024-12")
    lines = csv_lines(bad)
    fields = lines[500].split(b",")
    fields[2] = b"not-a-price"
    lines[500] = b",".join(fields)
    write_zip_with_checksum(bad, bad.stem + ".csv", b"\n".join(lines) + b"\n")
    _, rejected = run_pipeline(tmp_path, str(mirror_copy))

    assert len(rejected.errors) == 1
    message = str(rejected.errors[0])
    assert bad.name in message
    assert "malformed" in message
    expected = expected_rows_per_file(mirror)  # the pristine files
    del expected[("ETHUSDT", "2024-12")]  # not even the 500 good rows before the bad one
    assert rows_per_file(tmp_path) == expected


def test_unpublished_month_is_skipped_without_error(mirror, tmp_path):
    _, rejected = run_pipeline(
        tmp_path, str(mirror), symbols=["BTCUSDT"], start_month="2025-01", end_month="2025-02"
    )
    assert rejected.errors == []
    rejected.raise_if_any()
    assert rows_per_file(tmp_path) == {
        ("BTCUSDT", "2025-01"): MINUTES_DECEMBER - MAINTENANCE_MINUTES
    }


def test_missing_archive_folder_fails_the_run_with_a_clear_message(tmp_path):
    missing = tmp_path / "no-such-mirror"
    with pytest.raises(PipelineStepFailed) as failure:
        run_pipeline(tmp_path, str(missing))
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


def test_futures_files_with_a_header_row(tmp_path):
    root = tmp_path / "mirror"
    write_mirror(
        root, symbols=["BTCUSDT"], first=Month(2025, 1), last=Month(2025, 1), markets=["um"]
    )
    path = zip_path(root, "BTCUSDT", "2025-01")
    assert "futures/um" in path.as_posix()
    lines = csv_lines(path)
    assert lines[0].startswith(b"open_time,open,high,low,close,volume,close_time,")
    assert lines[1].split(b",")[0] == b"1735689600000"  # futures stay in milliseconds in 2025

    _, rejected = run_pipeline(
        tmp_path, str(root), markets=["um"], symbols=["BTCUSDT"], start_month="2025-01"
    )
    assert rejected.errors == []
    rows = query(
        tmp_path,
        "select market, count(*), min(open_time), "
        "min(epoch_us(close_time) - epoch_us(open_time)) from raw_exchange.klines group by all",
    )
    assert rows == [
        ("um", len(lines) - 1, datetime(2025, 1, 1, tzinfo=UTC), 59_999_000),
    ]
    assert len(lines) - 1 == MINUTES_DECEMBER - MAINTENANCE_MINUTES


# --- units of the archive module ---------------------------------------------------------------


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


def test_read_kline_csv_with_and_without_header_gives_the_same_table():
    row = b"1735689600000,100.5,101,99.25,100.75,12.5,1735689659999,1259.375,42,6.25,629.6875,0\n"
    header = (
        b"open_time,open,high,low,close,volume,close_time,quote_volume,count,"
        b"taker_buy_volume,taker_buy_quote_volume,ignore\n"
    )
    plain, headed = _zip(row * 3), _zip(header + row * 3)
    without = read_kline_csv(plain, "plain.zip")
    with_header = read_kline_csv(headed, "headed.zip")
    assert without.equals(with_header)
    assert without.num_rows == 3
    assert "ignore" not in without.column_names
    assert without["open"][0].as_py() == Decimal("100.50000000")


def test_read_kline_csv_rejects_a_zip_with_two_csv_files():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "1,2\n")
        archive.writestr("b.csv", "1,2\n")
    with pytest.raises(ArchiveError, match=r"two\.zip: expected one CSV file"):
        read_kline_csv(buffer.getvalue(), "two.zip")


def test_verify_checksum():
    content = b"payload"
    digest = hashlib.sha256(content).hexdigest()
    verify_checksum(content, f"{digest}  file.zip\n".encode(), "file.zip")
    verify_checksum(content, f"{digest.upper()}  file.zip\n".encode(), "file.zip")
    with pytest.raises(ArchiveError, match=r"file\.zip: checksum mismatch.*says nothing"):
        verify_checksum(content, b"  \n", "file.zip")
    with pytest.raises(ArchiveError, match="checksum mismatch"):
        verify_checksum(content + b"!", f"{digest}  file.zip\n".encode(), "file.zip")


def test_missing_checksum_file_is_an_error(mirror_copy):
    path = zip_path(mirror_copy, "BTCUSDT", "2024-12")
    path.with_name(path.name + ".CHECKSUM").unlink()
    file = KlineFile(
        "spot", "BTCUSDT", "1m", Month(2024, 12), path.relative_to(mirror_copy).as_posix()
    )
    with pytest.raises(ArchiveError, match=r"BTCUSDT-1m-2024-12\.zip: no \.CHECKSUM file"):
        load_kline_file(ArchiveReader(str(mirror_copy)), file)


def test_file_url_reader(mirror):
    path = zip_path(mirror, "ETHUSDT", "2025-01")
    reader = ArchiveReader(mirror.as_uri())
    relative = path.relative_to(mirror).as_posix()
    reader.check_available()
    assert reader.fetch(relative) == path.read_bytes()
    assert reader.fetch("data/nothing.zip") is None


def test_http_reader(mirror):
    path = zip_path(mirror, "ETHUSDT", "2025-01")
    relative = path.relative_to(mirror).as_posix()
    with serve(mirror) as base_url:
        reader = ArchiveReader(base_url)
        reader.check_available()
        assert reader.fetch(relative) == path.read_bytes()
        assert reader.fetch("data/nothing.zip") is None


def _zip(csv: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.csv", csv)
    return buffer.getvalue()
