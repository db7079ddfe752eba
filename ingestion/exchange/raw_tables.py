"""The columns of each ``raw_exchange`` table, and rows shaped into them.

Every feed yields Arrow tables in these schemas: ``klines`` (archive files, the REST tail and
ccxt alike, each candle with its ``data_source``), ``funding_rates``, ``archive_files`` (one row
per archive file seen) and ``rejected_rows`` (quarantined CSV lines). Declaring them to dlt
(:func:`ingestion.column_hints.table_columns`) makes each table exist with its columns before
any row arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from ingestion.exchange.layout import ArchiveFile
from ingestion.exchange.row_rules import to_micros

if TYPE_CHECKING:
    from ingestion.exchange.outcomes import FileOutcome


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


ARCHIVE_FILES_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("exchange", pa.string()),
        pa.field("market", pa.string()),
        pa.field("data_type", pa.string()),
        pa.field("symbol", pa.string()),
        pa.field("interval", pa.string()),
        pa.field("period", pa.string()),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
        pa.field("checksum", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("row_count", pa.int64()),
        pa.field("rejected_row_count", pa.int64()),
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


REJECTED_ROWS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("checksum", pa.string()),
        pa.field("data_type", pa.string()),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("raw_line", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC")),
    ]
)


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


def archive_files_row(outcome: FileOutcome, loaded_at: datetime) -> pa.Table:
    """The ``raw_exchange.archive_files`` row of a loaded or rejected file."""
    file = outcome.file
    rows = outcome.table.num_rows if outcome.table is not None else 0
    return pa.Table.from_pylist(
        [
            {
                "path": file.path,
                "exchange": "binance",
                "market": file.market,
                "data_type": file.data_type,
                "symbol": file.symbol,
                "interval": file.interval,
                "period": file.period,
                "period_start": file.period_start,
                "period_end": file.period_end,
                "checksum": outcome.checksum,
                "size_bytes": outcome.size_bytes,
                "row_count": rows,
                "rejected_row_count": len(outcome.rejected_rows),
                "status": outcome.status,
                "error": outcome.error,
                "loaded_at": loaded_at,
            }
        ],
        schema=ARCHIVE_FILES_SCHEMA,
    )


def rejected_rows_table(outcome: FileOutcome, rejected_at: datetime) -> pa.Table:
    rows = outcome.rejected_rows
    return pa.table(
        {
            "source_file": [outcome.file.path] * len(rows),
            "checksum": [outcome.checksum] * len(rows),
            "data_type": [outcome.file.data_type] * len(rows),
            "line_number": [row.line_number for row in rows],
            "raw_line": [row.raw_line for row in rows],
            "reason": [row.reason for row in rows],
            "rejected_at": [rejected_at] * len(rows),
        },
        schema=REJECTED_ROWS_SCHEMA,
    )
