"""Reading kline files from the Binance public archive: fetch, verify the checksum, parse to Arrow.

The archive's base location can be the real site (``https://data.binance.vision``), any HTTP
server with the same layout (``http://127.0.0.1:8000``) or a local folder (a path or ``file://``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from dlt.sources.helpers.requests import Client

from ingestion.exchange.layout import KLINE_COLUMNS, Month

PRICE = pa.decimal128(38, 8)
TIMESTAMP = pa.timestamp("us", tz="UTC")
MICROSECOND_THRESHOLD = 10**13
"""Epoch values above this are microseconds (10**13 ms is the year 2286)."""

KLINES_SCHEMA = pa.schema(
    [
        pa.field("exchange", pa.string(), nullable=False),
        pa.field("market", pa.string(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("interval", pa.string(), nullable=False),
        pa.field("open_time", TIMESTAMP, nullable=False),
        pa.field("open", PRICE),
        pa.field("high", PRICE),
        pa.field("low", PRICE),
        pa.field("close", PRICE),
        pa.field("volume", PRICE),
        pa.field("close_time", TIMESTAMP),
        pa.field("quote_volume", PRICE),
        pa.field("trade_count", pa.int64()),
        pa.field("taker_buy_volume", PRICE),
        pa.field("taker_buy_quote_volume", PRICE),
        pa.field("data_source", pa.string(), nullable=False),
    ]
)
"""Columns of ``raw_exchange.klines``: the file's columns plus where each candle came from."""

_CSV_TYPES = {
    name: pa.int64() if name in ("open_time", "close_time", "trade_count") else PRICE
    for name in KLINE_COLUMNS
    if name != "ignore"
}


class ArchiveError(Exception):
    """A file of the archive that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class KlineFile:
    """One monthly kline file of the archive."""

    market: str
    symbol: str
    interval: str
    month: Month
    path: str
    """Path relative to the archive's base location."""


class ArchiveReader:
    """Reads an archive base location: ``https://``, ``http://``, ``file://`` or a path."""

    def __init__(self, base_url: str, timeout_seconds: float = 60.0) -> None:
        parsed = urlparse(base_url)
        self.base_url = base_url.rstrip("/")
        self.is_http = parsed.scheme in ("http", "https")
        self.root = Path(parsed.path if parsed.scheme == "file" else base_url)
        # dlt's client retries 429 (honouring Retry-After), 5xx and connection errors with
        # backoff; a 404 is an answer here ("not published yet"), not an error.
        self.http = Client(request_timeout=timeout_seconds, raise_for_status=False).session

    def check_available(self) -> None:
        """Raise a clear error when a local archive folder does not exist."""
        if not self.is_http and not self.root.is_dir():
            raise ArchiveError(
                f"archive base {self.base_url!r} is neither an http(s) URL nor an existing "
                "folder; set SOURCES__EXCHANGE__ARCHIVE_BASE_URL (or generate a local mirror "
                "with `python -m ingestion.exchange.mirror <folder>`)"
            )

    def location(self, path: str) -> str:
        """The full URL or file path of ``path``, for messages."""
        return f"{self.base_url}/{path}" if self.is_http else str(self.root / path)

    def fetch(self, path: str) -> bytes | None:
        """The file's bytes, or None when the archive does not have it (HTTP 404, no such file).

        HTTP 429, 5xx and connection errors are retried with backoff by dlt's requests client.
        """
        if not self.is_http:
            file = self.root / path
            return file.read_bytes() if file.is_file() else None
        response = self.http.get(self.location(path))
        if response.status_code == 404:
            return None
        if not response.ok:
            raise ArchiveError(f"{self.location(path)}: HTTP {response.status_code}")
        return response.content


def verify_checksum(content: bytes, checksum_body: bytes, location: str) -> None:
    """Raise unless ``content`` hashes to the sha256 in the ``.CHECKSUM`` body."""
    words = checksum_body.decode(errors="replace").split()
    expected = words[0].lower() if words else ""
    actual = hashlib.sha256(content).hexdigest()
    if expected != actual:
        raise ArchiveError(
            f"{location}: checksum mismatch (CHECKSUM file says {expected or 'nothing'}, "
            f"the downloaded file hashes to {actual}); the file was not loaded"
        )


def read_kline_csv(zip_content: bytes, location: str) -> pa.Table:
    """The kline CSV inside an archive zip as an Arrow table with the file's columns.

    Files with and without a header row are both read (the first byte is a digit when there is no
    header), and the unused ``ignore`` column is dropped.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(zip_content)) as archive:
            members = [name for name in archive.namelist() if name.endswith(".csv")]
            if len(members) != 1:
                raise ArchiveError(f"{location}: expected one CSV file in the zip, found {members}")
            csv_bytes = archive.read(members[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise ArchiveError(f"{location}: not a readable zip file ({error})") from error
    has_header = bool(csv_bytes) and not csv_bytes[:1].isdigit()
    try:
        return pacsv.read_csv(
            io.BytesIO(csv_bytes),
            read_options=pacsv.ReadOptions(
                column_names=list(KLINE_COLUMNS), skip_rows=1 if has_header else 0
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=_CSV_TYPES, include_columns=list(_CSV_TYPES)
            ),
        )
    except pa.ArrowInvalid as error:
        raise ArchiveError(f"{location}: malformed kline CSV ({error})") from error


def to_utc_timestamp(epoch: pa.ChunkedArray) -> pa.ChunkedArray:
    """Epoch milliseconds or microseconds (mixed is fine) as UTC microsecond timestamps."""
    micros = pc.if_else(pc.greater(epoch, MICROSECOND_THRESHOLD), epoch, pc.multiply(epoch, 1_000))
    return micros.cast(TIMESTAMP)


def klines_table(csv_table: pa.Table, file: KlineFile, exchange: str = "binance") -> pa.Table:
    """Shape a parsed kline CSV into ``raw_exchange.klines`` rows."""
    rows = csv_table.num_rows

    def constant(value: str) -> pa.Array:
        return pa.repeat(value, rows).cast(pa.string())

    columns = {
        "exchange": constant(exchange),
        "market": constant(file.market),
        "symbol": constant(file.symbol),
        "interval": constant(file.interval),
        **{name: csv_table[name] for name in csv_table.column_names},
        "open_time": to_utc_timestamp(csv_table["open_time"]),
        "close_time": to_utc_timestamp(csv_table["close_time"]),
        "data_source": constant("archive"),
    }
    return pa.table([columns[field.name] for field in KLINES_SCHEMA], schema=KLINES_SCHEMA)


def load_kline_file(reader: ArchiveReader, file: KlineFile) -> pa.Table | None:
    """Fetch, verify and parse one kline file; None when the archive has not published it."""
    content = reader.fetch(file.path)
    if content is None:
        return None
    location = reader.location(file.path)
    checksum = reader.fetch(file.path + ".CHECKSUM")
    if checksum is None:
        raise ArchiveError(f"{location}: no .CHECKSUM file beside it, so it cannot be verified")
    verify_checksum(content, checksum, location)
    return klines_table(read_kline_csv(content, location), file)
