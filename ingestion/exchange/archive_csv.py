"""Parsing an archive CSV into Arrow, its bad lines quarantined with the reason.

Parsing is Arrow's CSV reader throughout; only a file that has malformed rows takes a
line-by-line path to find them (:func:`read_archive_csv`). Rows that parse but cannot be true
(:mod:`ingestion.exchange.row_rules`) are moved to the file's rejected lines by line number as
well (:func:`reject_impossible_rows`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.exchange.layout import FUNDING_RATE_COLUMNS, KLINE_COLUMNS
from ingestion.exchange.outcomes import ArchiveError, RejectedRow
from ingestion.exchange.raw_tables import PRICE, PRICE_SCALE
from ingestion.exchange.row_rules import RowRule, find_impossible_rows


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
