"""The dlt source of exchange market data: Binance archive klines into ``raw_exchange``."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingestion.exchange.archive import (
    ArchiveError,
    ArchiveReader,
    KlineFile,
    load_kline_file,
)
from ingestion.exchange.defaults import (
    BINANCE_ARCHIVE,
    DEFAULT_END_MONTH,
    DEFAULT_INTERVALS,
    DEFAULT_MARKETS,
    DEFAULT_START_MONTH,
    DEFAULT_SYMBOLS,
)
from ingestion.exchange.layout import Month, monthly_klines_path, months_between

log = logging.getLogger(__name__)

KLINE_KEY = ("exchange", "market", "symbol", "interval", "open_time")


@dataclass
class RejectedFiles:
    """Archive files a run could not load, each with the reason; the other files still load."""

    errors: list[ArchiveError] = field(default_factory=list)

    def raise_if_any(self) -> None:
        if self.errors:
            details = "\n".join(f"  - {error}" for error in self.errors)
            raise ArchiveError(
                f"{len(self.errors)} archive file(s) rejected; every other file was loaded:\n"
                f"{details}"
            )


def planned_kline_files(
    markets: Sequence[str],
    symbols: Sequence[str],
    intervals: Sequence[str],
    first: Month,
    last: Month,
) -> list[KlineFile]:
    """Every monthly kline file the configuration asks for."""
    return [
        KlineFile(
            market, symbol, interval, month, monthly_klines_path(market, symbol, interval, month)
        )
        for market in markets
        for symbol in symbols
        for interval in intervals
        for month in months_between(first, last)
    ]


def archive_klines(
    reader: ArchiveReader,
    files: Sequence[KlineFile],
    rejected: RejectedFiles,
    max_connections: int,
) -> Iterator[pa.Table]:
    """Load files over at most ``max_connections`` parallel downloads, yielding one table a file.

    A file that fails verification or parsing is recorded in ``rejected`` and skipped whole.
    """

    def load(file: KlineFile) -> pa.Table | ArchiveError | None:
        try:
            return load_kline_file(reader, file)
        except ArchiveError as error:
            return error

    with ThreadPoolExecutor(max_workers=max_connections) as pool:
        window = 2 * max_connections
        for start in range(0, len(files), window):
            batch = files[start : start + window]
            for file, outcome in zip(batch, pool.map(load, batch), strict=True):
                if isinstance(outcome, ArchiveError):
                    log.error("rejected %s", outcome)
                    rejected.errors.append(outcome)
                elif outcome is None:
                    log.info("not in the archive (yet): %s", reader.location(file.path))
                else:
                    yield outcome


@dlt.source(name="exchange", section="exchange")
def exchange_source(
    archive_base_url: str = BINANCE_ARCHIVE,
    markets: Sequence[str] = DEFAULT_MARKETS,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    intervals: Sequence[str] = DEFAULT_INTERVALS,
    start_month: str = DEFAULT_START_MONTH,
    end_month: str = DEFAULT_END_MONTH,
    max_connections: int = 4,
    rejected: RejectedFiles | None = None,
) -> DltResource:
    """Candles (klines) of the Binance public archive, merged into ``raw_exchange.klines``.

    One row per (exchange, market, symbol, interval, open_time), so re-loading a file replaces its
    rows. Files that fail their checksum or cannot be parsed are skipped and listed in ``rejected``
    (pass your own and call ``raise_if_any()`` after the run to fail on them).
    """
    reader = ArchiveReader(archive_base_url)
    files = planned_kline_files(
        markets, symbols, intervals, Month.parse(start_month), Month.parse(end_month)
    )
    rejections = rejected if rejected is not None else RejectedFiles()

    @dlt.resource(name="klines", write_disposition="merge", primary_key=list(KLINE_KEY))
    def klines() -> Iterator[pa.Table]:
        reader.check_available()
        yield from archive_klines(reader, files, rejections, max_connections)

    return klines
