"""The dlt source of exchange data: Binance archive, REST tail and ccxt into ``raw_exchange``.

One pass per run, in this order, so that each part knows where the one before stopped:

1. **Archive** files (monthly for closed months, daily for the current month and for months whose
   monthly file is not published yet; funding rates for futures markets), downloaded in parallel
   over a bounded number of connections. A file whose checksum was loaded before is skipped.
2. **REST tail**: from the last loaded candle of each series up to the cutoff (now, or the
   configured end), dropping the still-open candle.
3. **ccxt**: other exchanges' candles, from their last loaded candle up to the cutoff.

Everything flows through one parent resource (``exchange_feed``, not loaded itself) into four
tables: ``klines``, ``funding_rates``, ``archive_files`` (one row per archive file with its
checksum, row count and load time) and ``rejected_rows`` (quarantined CSV lines with the reason).
Progress lives in dlt's source state, which is committed together with the data, so a run killed
halfway is simply repeated by the next run; merge keys make that repetition harmless. A re-issued
file replaces exactly its own rows (:data:`FILE_VERSIONS`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TWriteDispositionConfig
from dlt.sources import DltResource

from ingestion.column_hints import table_columns
from ingestion.exchange.archive import ArchiveReader, archive_outcomes
from ingestion.exchange.archive_plan import daily_fallback, parse_cutoff, planned_files
from ingestion.exchange.ccxt_klines import ccxt_klines
from ingestion.exchange.defaults import (
    BINANCE_ARCHIVE,
    DEFAULT_INTERVALS,
    DEFAULT_MARKETS,
    DEFAULT_START_DATE,
    DEFAULT_SYMBOLS,
    SPOT_API_URL,
    USDM_API_URL,
)
from ingestion.exchange.last_candles import remember_last_candles, series_key, tail_start
from ingestion.exchange.layout import FUNDING_RATE, ArchiveFile
from ingestion.exchange.outcomes import (
    MAX_REJECTED_FRACTION,
    FileOutcome,
    RejectedFiles,
    over_threshold_message,
)
from ingestion.exchange.raw_tables import (
    ARCHIVE_FILES_SCHEMA,
    FUNDING_RATES_SCHEMA,
    KLINES_SCHEMA,
    REJECTED_ROWS_SCHEMA,
    archive_files_row,
    rejected_rows_table,
)
from ingestion.exchange.rest import BinanceRest

log = logging.getLogger(__name__)


FEEDS = ("archive", "rest", "ccxt")
"""The exchange feeds, in the order a run reads them: archive files, then the REST tail after
the archive's last candle, then other exchanges through ccxt."""


KLINE_KEY = ("exchange", "market", "symbol", "interval", "open_time", "data_source")


FILE_VERSIONS: TWriteDispositionConfig = {"disposition": "merge", "strategy": "cdc"}
"""Each loaded archive file replaces exactly its own rows; everything merges by primary key.

dlt's ``cdc`` strategy is ``upsert`` (one MERGE by primary key: rows that exist are updated, the
others inserted) plus, in the same transaction, one DELETE of the rows the loaded data no
longer has, restricted to the ``merge_key`` values it holds. With ``merge_key`` set to
``source_file``, a re-loaded file loses the rows its new version dropped (a candle the archive
removed, a row of the wrong period), so after every run the rows of a file are those of its
current version, the one ``archive_files`` records. Rows of other files, and REST and ccxt rows
(``source_file`` null, so in no partition), are never deleted; a file whose download is
rejected loads nothing, so it keeps its last good version's rows. Being part of dlt's merge
job, it needs no call after ``pipeline.run`` (Dagster and tests alike), and a run killed before
the job committed is completed by the next run.

Measured on DuckDB with 1.05M candles (median of three): a first load takes 5.26 s against
5.15 s with plain upsert; one new day (2,880 candles) 0.39 s against 0.38 s; a re-issued monthly
file 0.67 s against 0.65 s; a re-issued day with 10.6M candles stored 0.52 s against 0.39 s (the
DELETE reads ``source_file`` of the stored rows; a load without archive rows skips it). On
Postgres both are within noise of each other. ``delete-insert`` with the same two keys deletes
through ``pk = pk OR source_file = source_file``, which DuckDB cannot run as a hash join: a
re-issued monthly file over 1M stored candles had not finished after five minutes, spilling
tens of GB. Keys are unique within a load (each period comes from
one file and each source has its own ``data_source``), which the MERGE requires. One limit: a
version with no row at all puts nothing in the load, so its previous version's rows stay (the
intermediate dbt layer leaves them out by load id)."""


FILE_KEY = "source_file"
"""The merge key of file versions: see :data:`FILE_VERSIONS`."""


REST_WEIGHT_LIMITS = {"spot": 6000, "um": 2400}
"""Request weight Binance allows per minute and IP: spot API and USD-M futures API."""


FUNDING_RATE_KEY = ("exchange", "market", "symbol", "funding_time")


class RunStarted:
    """The first item of every run: each table gets an empty batch, so that it is created even
    when a run adds no rows to it."""


@dataclass(frozen=True)
class TailCandles:
    """Candles of the REST tail or of ccxt (not from an archive file)."""

    table: pa.Table


FeedItem = RunStarted | FileOutcome | TailCandles


@dlt.source(name="exchange", section="exchange")
def exchange_source(
    archive_base_url: str = BINANCE_ARCHIVE,
    spot_api_url: str = SPOT_API_URL,
    usdm_api_url: str = USDM_API_URL,
    markets: Sequence[str] = DEFAULT_MARKETS,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    intervals: Sequence[str] = DEFAULT_INTERVALS,
    start_date: str = DEFAULT_START_DATE,
    end_date: str | None = None,
    funding_rates: bool = True,
    ccxt_exchanges: Mapping[str, Any] | None = None,
    max_connections: int = 4,
    max_rejected_fraction: float = MAX_REJECTED_FRACTION,
    rejected: RejectedFiles | None = None,
    feeds: Sequence[str] = FEEDS,
) -> list[DltResource]:
    """Binance candles (archive, then REST tail), funding rates and other exchanges via ccxt.

    Args:
        archive_base_url: the archive (``https://data.binance.vision``), an HTTP mirror or a folder.
        spot_api_url, usdm_api_url: REST hosts for the tail of spot and USD-M candles; an empty
            string switches the REST tail of that market off.
        markets, symbols, intervals: what to load (archive names: ``spot``/``um``, ``1m``...).
        start_date: first day (``YYYY-MM-DD``); monthly files make it start at its month.
        end_date: last day (inclusive) or moment (ISO time) to load; default now.
        funding_rates: load funding rates of futures markets.
        ccxt_exchanges: other exchanges through ccxt, ``{exchange_id: {"symbols": ["BTC/USDT"],
            "intervals": [...], "start_date": "...", "config": {...}}}``; intervals and start
            default to the ones above, ``config`` goes to the ccxt exchange's constructor.
        max_connections: parallel archive downloads.
        max_rejected_fraction: the share of a file's lines that may be rejected (quarantined in
            ``rejected_rows``); a file with more still loads its good lines, and the run fails
            at the end naming it.
        rejected: collects rejected files and files over ``max_rejected_fraction``; call
            ``raise_if_any()`` after the run to fail on them.
        feeds: which feeds this run reads, of ``archive``, ``rest`` and ``ccxt`` (default all):
            an hourly run of the REST tail needs no archive listing.
    """
    unknown = sorted(set(feeds) - set(FEEDS))
    if unknown:
        raise ValueError(f"unknown exchange feeds {unknown}; choose from {list(FEEDS)}")
    reader = ArchiveReader(archive_base_url)
    first_day = date.fromisoformat(start_date)
    rejections = rejected if rejected is not None else RejectedFiles()
    api_urls = {"spot": spot_api_url, "um": usdm_api_url}

    def archive_feed(
        files: Sequence[ArchiveFile],
        checksums: dict[str, str],
        last_open: dict[str, str],
        cutoff: datetime,
    ) -> Iterator[FileOutcome]:
        """The outcome of every archive file that is new or changed (by checksum)."""
        counts: dict[str, int] = {}
        for outcome in archive_outcomes(
            reader,
            files,
            checksums,
            max_connections,
            lambda file: daily_fallback(file, cutoff),
        ):
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if outcome.status == "rejected":
                log.error("rejected %s", outcome.error)
                rejections.errors.append(outcome.error or outcome.location)
            elif outcome.status == "loaded":
                assert outcome.checksum is not None and outcome.table is not None
                checksums[outcome.file.path] = outcome.checksum
                too_many = over_threshold_message(outcome, max_rejected_fraction)
                if too_many:
                    log.error("%s", too_many)
                    rejections.over_threshold.append(too_many)
                if outcome.file.data_type != FUNDING_RATE:
                    remember_last_candles(last_open, outcome.table)
            if outcome.status in ("loaded", "rejected"):
                yield outcome
        log.info("archive files: %s", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))

    @dlt.resource(name="exchange_feed", selected=False)
    def exchange_feed() -> Iterator[FeedItem]:
        yield RunStarted()
        cutoff = parse_cutoff(end_date)
        state = dlt.current.source_state()
        checksums: dict[str, str] = state.setdefault("archive_checksums", {})
        last_open: dict[str, str] = state.setdefault("last_open_time", {})
        if "archive" in feeds:
            reader.check_available()
            files = planned_files(markets, symbols, intervals, first_day, cutoff, funding_rates)
            yield from archive_feed(files, checksums, last_open, cutoff)

        rest_markets = [market for market in markets if api_urls.get(market)]
        if "rest" in feeds and rest_markets:
            log.info(
                "REST tail of %s: %d series up to %s",
                ", ".join(rest_markets),
                len(rest_markets) * len(symbols) * len(intervals),
                cutoff.isoformat(),
            )
        for market in rest_markets if "rest" in feeds else ():
            rest = BinanceRest(api_urls[market], market, weight_limit=REST_WEIGHT_LIMITS[market])
            for symbol in symbols:
                for interval in intervals:
                    key = series_key("binance", market, symbol, interval)
                    since = tail_start(last_open, key, interval, first_day)
                    for table in rest.klines(symbol, interval, since, cutoff):
                        remember_last_candles(last_open, table)
                        yield TailCandles(table)

        for exchange_id, settings in (ccxt_exchanges or {}).items() if "ccxt" in feeds else ():
            ccxt_first_day = date.fromisoformat(settings.get("start_date", start_date))
            for symbol in settings.get("symbols", []):
                for interval in settings.get("intervals", intervals):
                    key = series_key(exchange_id, "ccxt", symbol, interval)
                    since = tail_start(last_open, key, interval, ccxt_first_day)
                    for table in ccxt_klines(
                        exchange_id, [symbol], interval, since, cutoff, settings.get("config")
                    ):
                        if table.num_rows:
                            newest = pc.max(table["open_time"]).as_py()
                            last_open[key] = newest.isoformat()
                        yield TailCandles(table)

    @dlt.transformer(
        data_from=exchange_feed,
        name="klines",
        write_disposition=FILE_VERSIONS,
        primary_key=list(KLINE_KEY),
        merge_key=FILE_KEY,
        columns=table_columns(KLINES_SCHEMA),
    )
    def klines(item: FeedItem) -> Iterator[Any]:
        """Candles of every source; one row per series, open time and data source."""
        if isinstance(item, RunStarted):
            yield KLINES_SCHEMA.empty_table()
        archive_candles = isinstance(item, FileOutcome) and item.file.data_type != FUNDING_RATE
        if (isinstance(item, TailCandles) or archive_candles) and item.table is not None:
            yield item.table

    @dlt.transformer(
        data_from=exchange_feed,
        name="funding_rates",
        write_disposition=FILE_VERSIONS,
        primary_key=list(FUNDING_RATE_KEY),
        merge_key=FILE_KEY,
        columns=table_columns(FUNDING_RATES_SCHEMA),
    )
    def funding_rates_(item: FeedItem) -> Iterator[Any]:
        """Funding rates of futures markets, one row per symbol and funding time."""
        if isinstance(item, RunStarted):
            yield FUNDING_RATES_SCHEMA.empty_table()
        if (
            isinstance(item, FileOutcome)
            and item.file.data_type == FUNDING_RATE
            and item.table is not None
        ):
            yield item.table

    @dlt.transformer(
        data_from=exchange_feed,
        name="archive_files",
        write_disposition="merge",
        primary_key="path",
        columns=table_columns(ARCHIVE_FILES_SCHEMA),
    )
    def archive_files(item: FeedItem) -> Iterator[Any]:
        """One row per archive file seen: checksum, size, rows loaded and quarantined, status."""
        if isinstance(item, RunStarted):
            yield ARCHIVE_FILES_SCHEMA.empty_table()
        if isinstance(item, FileOutcome):
            yield archive_files_row(item, datetime.now(UTC))

    @dlt.transformer(
        data_from=exchange_feed,
        name="rejected_rows",
        write_disposition="merge",
        primary_key=["source_file", "checksum", "line_number"],
        columns=table_columns(REJECTED_ROWS_SCHEMA),
    )
    def rejected_rows(item: FeedItem) -> Iterator[Any]:
        """Quarantined CSV lines: the file and its version (checksum), line number, the line
        itself and why it failed. Every version's lines are kept for audit."""
        if isinstance(item, RunStarted):
            yield REJECTED_ROWS_SCHEMA.empty_table()
        if isinstance(item, FileOutcome) and item.rejected_rows:
            yield rejected_rows_table(item, datetime.now(UTC))

    return [exchange_feed, klines, funding_rates_, archive_files, rejected_rows]
