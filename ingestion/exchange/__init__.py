"""Exchange market data into ``raw_exchange``: Binance archive files, the REST tail, ccxt.

The Binance public archive publishes one zip per market, symbol, interval and month (daily zips
for the current month), each with a ``.CHECKSUM`` file, plus monthly funding rates of futures.
The source verifies every file before loading it, records it in ``archive_files`` (so unchanged
files are skipped and re-issued ones replace their rows), quarantines malformed and impossible
rows in ``rejected_rows``, then takes the candles after the archive from the REST API and other
exchanges' candles through ccxt. Point ``archive_base_url`` at the real archive, at any HTTP
mirror or at a local folder; the demo's ``python -m demo.exchange`` serves a generated one
together with a REST endpoint.

Run it on its own with ``python -m ingestion.exchange``; configure it through dlt config or the
environment (``SOURCES__EXCHANGE__ARCHIVE_BASE_URL``, ``SOURCES__EXCHANGE__SYMBOLS``, ...).
"""

from ingestion.exchange.outcomes import ArchiveError, RejectedFiles
from ingestion.exchange.source import exchange_source

__all__ = ["ArchiveError", "RejectedFiles", "exchange_source"]
