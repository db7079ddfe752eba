"""Reading files of the Binance public archive: fetch, verify the checksum, parse to Arrow.

The archive's base location can be the real site (``https://data.binance.vision``), any HTTP
server with the same layout (``http://127.0.0.1:8000``) or a local folder (a path or ``file://``).

Each file is handled on its own (:func:`load_archive_file`): its ``.CHECKSUM`` is read first, so
a file whose checksum the warehouse already holds is not downloaded again; a download that does
not match its checksum is fetched once more, then rejected, and so is a zip that cannot be read;
rows that cannot be parsed, and rows that parse but cannot be true (:mod:`row_rules`), are
quarantined with the reason while the rest of the file loads. Parsing is Arrow's CSV reader
throughout; only a file that has malformed rows takes a line-by-line path to find them.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.csv as pacsv
from dlt.sources.helpers.requests import Client
from requests import RequestException

from ingestion.exchange.layout import FUNDING_RATE, FUNDING_RATE_COLUMNS, KLINE_COLUMNS, ArchiveFile
from ingestion.exchange.row_rules import (
    RowRule,
    find_impossible_rows,
    funding_rate_rules,
    kline_rules,
    to_micros,
)

EXCHANGE = "binance"
PRICE = pa.decimal128(38, 8)
PRICE_SCALE = 8
TIMESTAMP = pa.timestamp("us", tz="UTC")

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
        pa.field("source_file", pa.string()),
    ]
)
"""Columns of ``raw_exchange.klines``: the file's columns plus where each candle came from
(``data_source`` is ``archive``, ``rest`` or ``ccxt``; ``source_file`` is the archive path)."""


FUNDING_RATES_SCHEMA = pa.schema(
    [
        pa.field("exchange", pa.string(), nullable=False),
        pa.field("market", pa.string(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("funding_time", TIMESTAMP, nullable=False),
        pa.field("funding_interval_hours", pa.int64()),
        pa.field("funding_rate", PRICE),
        pa.field("source_file", pa.string()),
    ]
)
"""Columns of ``raw_exchange.funding_rates``."""


@dataclass(frozen=True)
class CsvFormat:
    """The columns of one kind of archive CSV, with the Arrow type of each column read."""

    columns: tuple[str, ...]
    types: dict[str, pa.DataType]
    required: tuple[str, ...]
    """Columns that must not be empty."""


KLINE_CSV = CsvFormat(
    columns=KLINE_COLUMNS,
    types={
        name: pa.int64() if name in ("open_time", "close_time", "trade_count") else PRICE
        for name in KLINE_COLUMNS
        if name != "ignore"
    },
    required=("open_time", "open", "high", "low", "close", "volume", "close_time"),
)
FUNDING_RATE_CSV = CsvFormat(
    columns=FUNDING_RATE_COLUMNS,
    types={
        "calc_time": pa.int64(),
        "funding_interval_hours": pa.int64(),
        "last_funding_rate": PRICE,
    },
    required=FUNDING_RATE_COLUMNS,
)

_HEADER = re.compile(rb"[A-Za-z_][A-Za-z0-9_ ]*(,[A-Za-z_][A-Za-z0-9_ ]*)*")
"""A header line holds nothing but column names (a data line starts with a digit)."""
_INTEGER = re.compile(rb"-?\d+")
_MAX_INTEGER_DIGITS = 38 - PRICE_SCALE
_DECIMAL = re.compile(rb"-?\d+(\.\d*)?")


class ArchiveError(Exception):
    """A file of the archive that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class RejectedRow:
    """A CSV line that could not be parsed or holds an impossible row, kept with the reason
    instead of being dropped."""

    line_number: int
    raw_line: str
    reason: str


@dataclass
class FileOutcome:
    """What happened to one archive file in a run."""

    file: ArchiveFile
    location: str
    status: str
    """``not_published``, ``unchanged``, ``loaded`` or ``rejected``."""
    checksum: str | None = None
    size_bytes: int | None = None
    table: pa.Table | None = None
    """The file's rows in the raw table's schema, when loaded."""
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    error: str | None = None


class ArchiveReader:
    """Reads an archive base location: ``https://``, ``http://``, ``file://`` or a path."""

    def __init__(self, base_url: str, timeout_seconds: float = 60.0) -> None:
        parsed = urlparse(base_url)
        self.base_url = base_url.rstrip("/")
        self.is_http = parsed.scheme in ("http", "https")
        self.root = Path(parsed.path if parsed.scheme == "file" else base_url)
        # dlt's client retries 429 (honouring Retry-After), 5xx, connection errors and
        # truncated bodies with backoff; a 404 is an answer here ("not published yet").
        self.http = Client(request_timeout=timeout_seconds, raise_for_status=False).session

    def check_available(self) -> None:
        """Raise a clear error when a local archive folder does not exist."""
        if not self.is_http and not self.root.is_dir():
            raise ArchiveError(
                f"archive base {self.base_url!r} is neither an http(s) URL nor an existing "
                "folder; set SOURCES__EXCHANGE__ARCHIVE_BASE_URL (or generate a local mirror "
                "with `python -m demo.exchange.mirror <folder>`)"
            )

    def location(self, path: str) -> str:
        """The full URL or file path of ``path``, for messages."""
        return f"{self.base_url}/{path}" if self.is_http else str(self.root / path)

    def fetch(self, path: str) -> bytes | None:
        """The file's bytes, or None when the archive does not have it (HTTP 404, no such file).

        HTTP 429, 5xx and connection errors are retried with backoff by dlt's requests client;
        what still fails raises :class:`ArchiveError`.
        """
        if not self.is_http:
            file = self.root / path
            return file.read_bytes() if file.is_file() else None
        try:
            response = self.http.get(self.location(path))
        except RequestException as error:
            raise ArchiveError(
                f"{self.location(path)}: download failed ({error}); check "
                "SOURCES__EXCHANGE__ARCHIVE_BASE_URL and the network"
            ) from error
        if response.status_code == 404:
            return None
        if not response.ok:
            raise ArchiveError(f"{self.location(path)}: HTTP {response.status_code}")
        return response.content


def checksum_of(checksum_body: bytes) -> str:
    """The sha256 a ``.CHECKSUM`` body states (its first word), lower case."""
    words = checksum_body.decode(errors="replace").split()
    return words[0].lower() if words else ""


def verify_checksum(content: bytes, checksum_body: bytes, location: str) -> None:
    """Raise unless ``content`` hashes to the sha256 in the ``.CHECKSUM`` body."""
    expected = checksum_of(checksum_body)
    actual = hashlib.sha256(content).hexdigest()
    if expected != actual:
        raise ArchiveError(
            f"{location}: checksum mismatch (CHECKSUM file says {expected or 'nothing'}, "
            f"the downloaded file hashes to {actual}); the file was not loaded"
        )


_UNREADABLE_ZIP = (
    zipfile.BadZipFile,  # no zip, a bad header or directory, "Bad CRC-32"
    zipfile.LargeZipFile,
    zlib.error,  # deflate data that does not inflate
    lzma.LZMAError,
    OSError,  # bzip2 data that does not decompress ("Invalid data stream")
    EOFError,  # compressed data cut short
    NotImplementedError,  # an unknown compression method or zip version
    ValueError,  # offsets pointing outside the file; a name that is not UTF-8
)
"""What ``zipfile`` raises for a file whose checksum matches but whose zip cannot be read."""


def unzip_csv(zip_content: bytes, location: str) -> bytes:
    """The one CSV file inside an archive zip; a zip that cannot be read raises
    :class:`ArchiveError` naming the file and the reason."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_content)) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".csv")]
            if len(members) != 1:
                names = [info.filename for info in members]
                raise ArchiveError(f"{location}: expected one CSV file in the zip, found {names}")
            if members[0].flag_bits & 0x1:
                raise ArchiveError(f"{location}: not a readable zip file (the CSV is encrypted)")
            return archive.read(members[0])
    except _UNREADABLE_ZIP as error:
        raise ArchiveError(f"{location}: not a readable zip file ({error})") from error


def _read_typed(csv_bytes: bytes, csv_format: CsvFormat, skip_rows: int) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(csv_bytes),
        read_options=pacsv.ReadOptions(column_names=list(csv_format.columns), skip_rows=skip_rows),
        convert_options=pacsv.ConvertOptions(
            column_types=csv_format.types, include_columns=list(csv_format.types)
        ),
    )


def _has_empty_required(table: pa.Table, csv_format: CsvFormat) -> bool:
    return any(table[name].null_count for name in csv_format.required)


def _line_problem(fields: list[bytes], csv_format: CsvFormat) -> str | None:
    """Why a CSV line cannot be loaded, or None when it can."""
    if len(fields) != len(csv_format.columns):
        return f"expected {len(csv_format.columns)} fields, found {len(fields)}"
    for name, value in zip(csv_format.columns, fields, strict=True):
        kind = csv_format.types.get(name)
        if kind is None:
            continue
        text = value.strip()
        if not text:
            if name in csv_format.required:
                return f"{name} is empty"
            continue
        if pa.types.is_integer(kind):
            if not _INTEGER.fullmatch(text):
                return f"{name} is not an integer: {text.decode(errors='replace')!r}"
            if not -(2**63) <= int(text) < 2**63:
                return f"{name} is out of the 64-bit integer range: {text.decode()!r}"
        elif not _DECIMAL.fullmatch(text):
            return f"{name} is not a number: {text.decode(errors='replace')!r}"
        elif len(text.partition(b".")[2]) > PRICE_SCALE:
            return f"{name} has more than {PRICE_SCALE} decimal places: {text.decode()!r}"
        elif len(text.lstrip(b"-").partition(b".")[0].lstrip(b"0")) > _MAX_INTEGER_DIGITS:
            return f"{name} is too large for decimal(38, {PRICE_SCALE}): {text.decode()!r}"
    return None


def _has_header(csv_bytes: bytes) -> bool:
    return bool(_HEADER.fullmatch(csv_bytes.partition(b"\n")[0].strip()))


def _data_lines(csv_bytes: bytes, has_header: bool) -> Iterator[tuple[int, bytes]]:
    """The 1-based number and text of each line that holds a row: not the header, not blank."""
    for number, line in enumerate(csv_bytes.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not (has_header and number == 1) and line.strip():
            yield number, line


def _quarantine(
    csv_bytes: bytes, csv_format: CsvFormat, has_header: bool
) -> tuple[bytes, list[RejectedRow]]:
    """Split a CSV into its loadable lines and the rejected ones (the slow path)."""
    good: list[bytes] = []
    rejected: list[RejectedRow] = []
    for number, line in _data_lines(csv_bytes, has_header):
        problem = _line_problem(line.split(b","), csv_format)
        if problem is None:
            good.append(line)
        else:
            rejected.append(RejectedRow(number, line.decode(errors="replace"), problem))
    return b"\n".join(good) + b"\n", rejected


def read_archive_csv(
    csv_bytes: bytes, csv_format: CsvFormat, location: str
) -> tuple[pa.Table, list[RejectedRow]]:
    """Parse an archive CSV with or without a header row into a table of the format's columns.

    A first line of nothing but column names is a header; anything else is data. When Arrow's reader
    cannot parse the whole file, the lines that break it are found, returned with the reason and
    left out, and the rest is parsed.
    """
    has_header = _has_header(csv_bytes)
    skip_rows = 1 if has_header else 0
    if not csv_bytes.strip() or (has_header and not csv_bytes.partition(b"\n")[2].strip()):
        return _empty(csv_format), []
    try:
        table = _read_typed(csv_bytes, csv_format, skip_rows)
        if not _has_empty_required(table, csv_format):
            return table, []
    except pa.ArrowInvalid:
        pass
    good_lines, rejected = _quarantine(csv_bytes, csv_format, has_header)
    if not rejected:
        raise ArchiveError(f"{location}: the CSV cannot be parsed, but no single line is at fault")
    try:
        table = _read_typed(good_lines, csv_format, 0) if good_lines.strip() else None
    except pa.ArrowInvalid as error:
        raise ArchiveError(f"{location}: malformed CSV ({error})") from error
    return (table if table is not None else _empty(csv_format)), rejected


def _empty(csv_format: CsvFormat) -> pa.Table:
    return pa.schema(
        [pa.field(name, kind) for name, kind in csv_format.types.items()]
    ).empty_table()


def to_utc_timestamp(epoch: pa.ChunkedArray) -> pa.ChunkedArray:
    """Epoch milliseconds or microseconds (mixed is fine) as UTC microsecond timestamps."""
    return to_micros(epoch).cast(TIMESTAMP)


def _constant(value: str | None, rows: int) -> pa.Array:
    return pa.repeat(value, rows).cast(pa.string())


def klines_table(csv_table: pa.Table, file: ArchiveFile) -> pa.Table:
    """Shape a parsed kline CSV into ``raw_exchange.klines`` rows."""
    rows = csv_table.num_rows
    columns = {
        "exchange": _constant(EXCHANGE, rows),
        "market": _constant(file.market, rows),
        "symbol": _constant(file.symbol, rows),
        "interval": _constant(file.interval, rows),
        **{name: csv_table[name] for name in csv_table.column_names},
        "open_time": to_utc_timestamp(csv_table["open_time"]),
        "close_time": to_utc_timestamp(csv_table["close_time"]),
        "data_source": _constant("archive", rows),
        "source_file": _constant(file.path, rows),
    }
    return pa.table([columns[field.name] for field in KLINES_SCHEMA], schema=KLINES_SCHEMA)


def funding_rates_table(csv_table: pa.Table, file: ArchiveFile) -> pa.Table:
    """Shape a parsed funding-rate CSV into ``raw_exchange.funding_rates`` rows."""
    rows = csv_table.num_rows
    columns = {
        "exchange": _constant(EXCHANGE, rows),
        "market": _constant(file.market, rows),
        "symbol": _constant(file.symbol, rows),
        "funding_time": to_utc_timestamp(csv_table["calc_time"]),
        "funding_interval_hours": csv_table["funding_interval_hours"],
        "funding_rate": csv_table["last_funding_rate"],
        "source_file": _constant(file.path, rows),
    }
    return pa.table(
        [columns[field.name] for field in FUNDING_RATES_SCHEMA], schema=FUNDING_RATES_SCHEMA
    )


def reject_impossible_rows(
    csv_table: pa.Table,
    rules: Sequence[RowRule],
    csv_bytes: bytes,
    rejected: list[RejectedRow],
    location: str,
) -> tuple[pa.Table, list[RejectedRow]]:
    """Move the rows of a parsed CSV that break a rule to the file's rejected lines, with their
    line number and text, like lines that could not be parsed: all of them by line number.

    ``rejected`` are the lines :func:`read_archive_csv` left out; the table's rows are the other
    data lines, in order.
    """
    possible, reasons = find_impossible_rows(csv_table, rules)
    if not reasons:
        return csv_table, rejected
    skipped = {row.line_number for row in rejected}
    lines = [
        line for line in _data_lines(csv_bytes, _has_header(csv_bytes)) if line[0] not in skipped
    ]
    if len(lines) != csv_table.num_rows:
        raise ArchiveError(
            f"{location}: {len(lines)} data lines but {csv_table.num_rows} parsed rows, so the "
            "lines of its impossible rows cannot be named"
        )
    impossible = [
        RejectedRow(lines[index][0], lines[index][1].decode(errors="replace"), reason)
        for index, reason in reasons.items()
    ]
    return possible, sorted([*rejected, *impossible], key=lambda row: row.line_number)


def parse_archive_file(zip_content: bytes, file: ArchiveFile, location: str) -> FileOutcome:
    """Unzip and parse a verified file into its raw table, quarantining malformed rows and
    rows that cannot be true."""
    csv_bytes = unzip_csv(zip_content, location)
    funding = file.data_type == FUNDING_RATE
    csv_format = FUNDING_RATE_CSV if funding else KLINE_CSV
    rules = funding_rate_rules(file) if funding else kline_rules(file)
    csv_table, rejected = read_archive_csv(csv_bytes, csv_format, location)
    csv_table, rejected = reject_impossible_rows(csv_table, rules, csv_bytes, rejected, location)
    table = (funding_rates_table if funding else klines_table)(csv_table, file)
    return FileOutcome(file, location, "loaded", table=table, rejected_rows=rejected)


def load_archive_file(
    reader: ArchiveReader, file: ArchiveFile, known_checksum: str | None = None
) -> FileOutcome:
    """Fetch, verify and parse one file.

    The ``.CHECKSUM`` comes first: a file whose checksum equals ``known_checksum`` (the one
    loaded before) is ``unchanged`` and not downloaded. A download that does not match its
    checksum is fetched once more (transfers do break), then the file is ``rejected``.
    """
    location = reader.location(file.path)
    try:
        checksum_body = reader.fetch(file.path + ".CHECKSUM")
        if checksum_body is None:
            if reader.fetch(file.path) is None:
                return FileOutcome(file, location, "not_published")
            raise ArchiveError(f"{location}: no .CHECKSUM file beside it, so it cannot be verified")
        checksum = checksum_of(checksum_body)
        if checksum == known_checksum:
            return FileOutcome(file, location, "unchanged", checksum=checksum)
        content = b""
        for attempt in (1, 2):
            fetched = reader.fetch(file.path)
            if fetched is None:
                raise ArchiveError(f"{location}: the .CHECKSUM exists but the file does not")
            content = fetched
            try:
                verify_checksum(content, checksum_body, location)
                break
            except ArchiveError:
                if attempt == 2:
                    raise
        outcome = parse_archive_file(content, file, location)
        outcome.checksum, outcome.size_bytes = checksum, len(content)
        return outcome
    except ArchiveError as error:
        return FileOutcome(file, location, "rejected", error=str(error))
