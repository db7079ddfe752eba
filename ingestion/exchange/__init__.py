"""Exchange market data: candles (klines) from the Binance public archive into ``raw_exchange``.

The archive publishes one zip per market, symbol, interval and month, each with a ``.CHECKSUM``
file. The source verifies every file before loading it, reads files with and without header rows,
normalises millisecond and microsecond timestamps to UTC, and merges rows on
(exchange, market, symbol, interval, open_time). Point ``archive_base_url`` at the real archive,
at any HTTP mirror or at a local folder such as the one ``python -m ingestion.exchange.mirror``
writes.

Run it on its own with ``python -m ingestion.exchange``; configure it through dlt config or the
environment (``SOURCES__EXCHANGE__ARCHIVE_BASE_URL``, ``SOURCES__EXCHANGE__SYMBOLS``, ...).
"""

from ingestion.exchange.archive import ArchiveError
from ingestion.exchange.source import RejectedFiles, exchange_source

__all__ = ["ArchiveError", "RejectedFiles", "exchange_source"]
