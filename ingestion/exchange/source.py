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
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.common.schema.typing import TTableSchemaColumns, TWriteDispositionConfig
from dlt.sources import DltResource

from ingestion.exchange.archive import (
    FUNDING_RATES_SCHEMA,
    KLINES_SCHEMA,
    ArchiveError,
    ArchiveReader,
    FileOutcome,
    load_archive_file,
)
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
from ingestion.exchange.layout import (
    FUNDING_RATE,
    FUTURES_MARKETS,
    INTERVAL_MILLISECONDS,
    MONTHLY,
    ArchiveFile,
    Month,
    daily_klines,
    days_between,
    monthly_funding_rates,
    monthly_klines,
)
from ingestion.exchange.rest import BinanceRest

log = logging.getLogger(__name__)

FEEDS = ("archive", "rest", "ccxt")
"""The exchange feeds, in the order a run reads them: archive files, then the REST tail after
the archive's last candle, then other exchanges through ccxt."""

LOAD_ID_COLUMN: TTableSchemaColumns = {
    "_dlt_load_id": {"name": "_dlt_load_id", "data_type": "text", "nullable": False}
}
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


MAX_REJECTED_FRACTION = 0.001
"""Default share of a file's lines that may be rejected before the run fails."""
MAX_REJECTED_FRACTION_VARIABLE = "SOURCES__EXCHANGE__MAX_REJECTED_FRACTION"


@dataclass
class RejectedFiles:
    """What a run must fail on once everything else has loaded: archive files it could not load
    (``errors``) and files with more rejected lines than allowed (``over_threshold``: their
    good lines did load). Each entry is one line naming the file and the reason."""

    errors: list[str] = field(default_factory=list)
    over_threshold: list[str] = field(default_factory=list)

    def raise_if_any(self) -> None:
        parts = []
        if self.errors:
            details = "\n".join(f"  - {error}" for error in self.errors)
            parts.append(
                f"{len(self.errors)} archive file(s) rejected; every other file was loaded:\n"
                f"{details}"
            )
        if self.over_threshold:
            details = "\n".join(f"  - {error}" for error in self.over_threshold)
            parts.append(
                f"{len(self.over_threshold)} archive file(s) with too many rejected lines "
                f"(their other lines were loaded):\n{details}"
            )
        if parts:
            raise ArchiveError("\n".join(parts))


def rejection_category(reason: str) -> str:
    """A rejection reason without the offending value: ``high is not a number: 'n/a'`` ->
    ``high is not a number`` (the marts group reasons the same way)."""
    return reason.split(": ", 1)[0]


def over_threshold_message(outcome: FileOutcome, max_fraction: float) -> str | None:
    """One line naming a loaded file whose rejected lines exceed ``max_fraction`` of its lines,
    with how many and why; None when within."""
    rejected = len(outcome.rejected_rows)
    loaded = outcome.table.num_rows if outcome.table is not None else 0
    lines = rejected + loaded
    if not rejected or rejected <= max_fraction * lines:
        return None
    reasons = Counter(rejection_category(row.reason) for row in outcome.rejected_rows)
    commonest = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
    top = ", ".join(f"{reason} ({count:,})" for reason, count in commonest)
    more = f" and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    return (
        f"{outcome.location}: {rejected:,} of {lines:,} lines rejected ({rejected / lines:.2%}), "
        f"more than {MAX_REJECTED_FRACTION_VARIABLE}={max_fraction:g} allows: {top}{more}; "
        f"the {loaded:,} other lines were loaded, the rejected ones are in "
        "raw_exchange.rejected_rows"
    )


class RunStarted:
    """The first item of every run: each table gets an empty batch, so that it is created even
    when a run adds no rows to it."""


@dataclass(frozen=True)
class TailCandles:
    """Candles of the REST tail or of ccxt (not from an archive file)."""

    table: pa.Table


FeedItem = RunStarted | FileOutcome | TailCandles


def table_columns(schema: pa.Schema) -> TTableSchemaColumns:
    """dlt column hints of a raw table (so it exists with its columns before any row arrives)."""
    return {**py_arrow_to_table_schema_columns(schema), **LOAD_ID_COLUMN}


def parse_cutoff(end_date: str | None, now: datetime | None = None) -> datetime:
    """The moment a run loads up to: the configured end (a date means the end of that day) or
    now, whichever is earlier."""
    now = now or datetime.now(UTC)
    if not end_date:
        return now
    if len(end_date) == 10:
        end = datetime.combine(date.fromisoformat(end_date), datetime.min.time(), UTC)
        end += timedelta(days=1)
    else:
        end = datetime.fromisoformat(end_date.replace("Z", "+00:00"))
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
    return min(end, now)


def planned_files(
    markets: Sequence[str],
    symbols: Sequence[str],
    intervals: Sequence[str],
    start: date,
    cutoff: datetime,
    funding_rates: bool,
) -> list[ArchiveFile]:
    """Monthly files for the months that ended before the cutoff, daily files for the days of
    the cutoff's month that ended before it; funding rates (monthly only) for futures markets.

    A monthly file that turns out not to be published is replaced by its daily files
    (:func:`daily_fallback`).
    """
    last_month = Month.of(cutoff.date())
    months = []
    month = Month.of(start)
    while month < last_month:
        months.append(month)
        month = month.next()
    current_days = days_between(max(start, last_month.first_day), cutoff.date() - timedelta(1))
    files = []
    for market in markets:
        for symbol in symbols:
            for interval in intervals:
                files += [monthly_klines(market, symbol, interval, m) for m in months]
                for day in current_days:
                    files += daily_klines(market, symbol, interval, day)
            if funding_rates and market in FUTURES_MARKETS:
                files += [monthly_funding_rates(market, symbol, m) for m in months]
    return files


def daily_fallback(file: ArchiveFile, cutoff: datetime) -> list[ArchiveFile]:
    """The daily files standing in for a monthly kline file that is not published yet."""
    if file.period != MONTHLY or file.data_type == FUNDING_RATE or file.interval is None:
        return []
    last_day = min(file.period_end, cutoff.date() - timedelta(days=1))
    return [
        daily
        for day in days_between(file.period_start, last_day)
        for daily in daily_klines(file.market, file.symbol, file.interval, day)
    ]


def archive_outcomes(
    reader: ArchiveReader,
    files: Sequence[ArchiveFile],
    known_checksums: Mapping[str, str],
    max_connections: int,
    fallback: Callable[[ArchiveFile], list[ArchiveFile]],
) -> Iterator[FileOutcome]:
    """Process files over at most ``max_connections`` parallel downloads, as they complete.

    At most twice that many files are in memory at once. When a file is not published, the
    files ``fallback`` names for it are queued.
    """
    queue = deque(files)
    with ThreadPoolExecutor(max_workers=max_connections) as pool:
        running: set[Future[FileOutcome]] = set()
        while queue or running:
            while queue and len(running) < 2 * max_connections:
                file = queue.popleft()
                running.add(
                    pool.submit(load_archive_file, reader, file, known_checksums.get(file.path))
                )
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                if outcome.status == "not_published":
                    queue.extend(fallback(outcome.file))
                yield outcome


def _series_key(exchange: str, market: str, symbol: str, interval: str) -> str:
    return f"{exchange}|{market}|{symbol}|{interval}"


def _remember_last_candles(last_open: dict[str, str], table: pa.Table) -> None:
    """Record the newest open time of each series in ``table`` (usually a single series)."""
    if table.num_rows == 0:
        return
    series = table.group_by(["exchange", "market", "symbol", "interval"]).aggregate(
        [("open_time", "max")]
    )
    for row in series.to_pylist():
        key = _series_key(row["exchange"], row["market"], row["symbol"], row["interval"])
        newest = row["open_time_max"].isoformat()
        if key not in last_open or datetime.fromisoformat(last_open[key]) < row["open_time_max"]:
            last_open[key] = newest


def _tail_start(last_open: Mapping[str, str], key: str, interval: str, start: date) -> datetime:
    if key in last_open:
        step = timedelta(milliseconds=INTERVAL_MILLISECONDS[interval])
        return datetime.fromisoformat(last_open[key]) + step
    return datetime.combine(start, datetime.min.time(), UTC)


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
                    _remember_last_candles(last_open, outcome.table)
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
                    key = _series_key("binance", market, symbol, interval)
                    since = _tail_start(last_open, key, interval, first_day)
                    for table in rest.klines(symbol, interval, since, cutoff):
                        _remember_last_candles(last_open, table)
                        yield TailCandles(table)

        for exchange_id, settings in (ccxt_exchanges or {}).items() if "ccxt" in feeds else ():
            ccxt_first_day = date.fromisoformat(settings.get("start_date", start_date))
            for symbol in settings.get("symbols", []):
                for interval in settings.get("intervals", intervals):
                    key = _series_key(exchange_id, "ccxt", symbol, interval)
                    since = _tail_start(last_open, key, interval, ccxt_first_day)
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
