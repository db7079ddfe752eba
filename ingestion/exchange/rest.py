"""The Binance REST klines API: the candles the archive has not published yet (the "tail").

``BinanceRest(base_url, market).klines(symbol, interval, start, cutoff)`` pages through
``GET /api/v3/klines`` (spot) or ``GET /fapi/v1/klines`` (USD-M futures) by ``startTime`` and
yields one Arrow table per page in the schema of ``raw_exchange.klines`` (``data_source`` =
``rest``). Only closed candles are kept (``close_time < cutoff``): the last candle Binance returns
is usually still open.

HTTP goes through dlt's requests client (:class:`dlt.sources.helpers.requests.Client`, created
with ``raise_for_status=False``). In dlt 1.31 that client wraps ``Session.send`` in a tenacity
retry that, up to ``request_max_attempts`` attempts with exponential backoff
(``request_backoff_factor * 2 ** (attempt - 1)`` seconds, at most ``request_max_retry_delay``):

- retries HTTP 429 and every 5xx, waiting ``Retry-After`` instead of the backoff when the
  response carries one;
- retries ``requests`` ``ConnectionError``, ``Timeout`` and ``ChunkedEncodingError`` (a body cut
  short of its ``Content-Length`` raises the latter while the body is read inside ``send``);
- returns the last response when the attempts run out on a status, and re-raises the last
  exception when they run out on an exception.

Everything else is done here: 418 (IP banned) stops at once with a :class:`RestError` that says
how long to wait; any other 4xx is a :class:`RestError` carrying Binance's ``msg``; a 429 or 5xx
still there after the retries, or an exhausted connection failure, is a :class:`RestError` too.
The ``X-MBX-USED-WEIGHT-1M`` header of every answer is tracked, and once it exceeds
``weight_headroom * weight_limit`` the next request waits for the next minute, when Binance's
weight counter starts again.

dlt's ``RESTClient`` with a custom paginator was the alternative; it was not used because its
paginators derive the next request from the response alone, while here the next ``startTime``
comes from the last row and the weight pause, the 418 stop and the Binance error bodies need the
raw response anyway: a plain loop over the retrying session is shorter and says what it does.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources.helpers.requests import Client
from requests import RequestException, Response

from ingestion.exchange.defaults import SPOT_API_URL, USDM_API_URL
from ingestion.exchange.layout import INTERVAL_MILLISECONDS, Month
from ingestion.exchange.raw_tables import KLINES_SCHEMA, PRICE, to_utc_timestamp

log = logging.getLogger(__name__)

EXCHANGE = "binance"
DATA_SOURCE = "rest"

DEFAULT_BASE_URLS: dict[str, str] = {"spot": SPOT_API_URL, "um": USDM_API_URL}
"""The real REST hosts: the market-data-only spot host and the USD-M futures host."""


class _Endpoint(NamedTuple):
    path: str
    max_limit: int


ENDPOINTS: dict[str, _Endpoint] = {
    "spot": _Endpoint("/api/v3/klines", 1000),
    "um": _Endpoint("/fapi/v1/klines", 1500),
}
"""Klines endpoint of each market, with the largest ``limit`` it accepts."""

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
KLINE_FIELDS = 12


class RestError(Exception):
    """A REST request that cannot succeed (now); the message says what Binance answered."""


def rest_interval(interval: str) -> str:
    """Binance's REST name of an archive interval name (``1mo`` is ``1M`` in REST)."""
    if interval == "1mo":
        return "1M"
    if interval in INTERVAL_MILLISECONDS:
        return interval
    known = ", ".join([*INTERVAL_MILLISECONDS, "1mo"])
    raise ValueError(f"unknown kline interval {interval!r}; expected one of {known}")


def next_open_ms(open_ms: int, interval: str) -> int:
    """Open time of the candle after the one opening at ``open_ms`` (archive interval name)."""
    if interval == "1mo":
        moment = datetime.fromtimestamp(open_ms / 1000, tz=UTC)
        return epoch_ms(Month(moment.year, moment.month).next().start)
    return open_ms + INTERVAL_MILLISECONDS[interval]


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a timezone-aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; pass UTC datetimes")
    return math.floor(moment.timestamp() * 1000)


def _constant(value: str | None, rows: int) -> pa.Array:
    return pa.repeat(value, rows).cast(pa.string())


def klines_page_table(
    rows: Sequence[Sequence[Any]], market: str, symbol: str, interval: str
) -> pa.Table:
    """A page of REST klines (12-element arrays) in the schema of ``raw_exchange.klines``.

    Columns are built by pyarrow from the decoded JSON: decimal strings are cast to
    DECIMAL(38,8) exactly, millisecond epochs to UTC timestamps.
    """
    try:
        columns = list(zip(*rows, strict=True)) if rows else [()] * KLINE_FIELDS
    except ValueError as error:
        raise RestError(f"{symbol} {interval}: klines rows of unequal length ({error})") from error
    if len(columns) != KLINE_FIELDS:
        raise RestError(f"{symbol} {interval}: expected {KLINE_FIELDS} fields per kline")
    count = len(rows)

    def epoch(index: int) -> pa.Array:
        return to_utc_timestamp(pa.array(columns[index], pa.int64()))

    def decimal(index: int) -> pa.Array:
        return pa.array(columns[index], pa.string()).cast(PRICE)

    try:
        values = {
            "exchange": _constant(EXCHANGE, count),
            "market": _constant(market, count),
            "symbol": _constant(symbol, count),
            "interval": _constant(interval, count),
            "open_time": epoch(0),
            "open": decimal(1),
            "high": decimal(2),
            "low": decimal(3),
            "close": decimal(4),
            "volume": decimal(5),
            "close_time": epoch(6),
            "quote_volume": decimal(7),
            "trade_count": pa.array(columns[8], pa.int64()),
            "taker_buy_volume": decimal(9),
            "taker_buy_quote_volume": decimal(10),
            "data_source": _constant(DATA_SOURCE, count),
            "source_file": _constant(None, count),
        }
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise RestError(f"{symbol} {interval}: malformed klines ({error})") from error
    return pa.table([values[field.name] for field in KLINES_SCHEMA], schema=KLINES_SCHEMA)


class BinanceRest:
    """Klines of one Binance market over REST; see the module docstring for the HTTP behaviour.

    ``weight_window_seconds`` is the length of Binance's weight window (a wall-clock minute);
    ``sleep`` and ``clock`` are injectable so that tests can shorten or observe the waits.
    """

    def __init__(
        self,
        base_url: str,
        market: str,
        *,
        weight_limit: int = 6000,
        weight_headroom: float = 0.8,
        request_max_attempts: int = 5,
        request_backoff_factor: float = 1.0,
        timeout_seconds: float = 30.0,
        weight_window_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            endpoint = ENDPOINTS[market]
        except KeyError:
            known = ", ".join(ENDPOINTS)
            raise ValueError(f"no REST klines for market {market!r}; expected {known}") from None
        self.base_url = base_url.rstrip("/")
        self.market = market
        self.url = self.base_url + endpoint.path
        self.page_limit = endpoint.max_limit
        self.weight_limit = weight_limit
        self.weight_headroom = weight_headroom
        self.request_max_attempts = request_max_attempts
        self.weight_window_seconds = weight_window_seconds
        self._sleep, self._clock = sleep, clock
        self._client = Client(
            request_timeout=timeout_seconds,
            raise_for_status=False,
            request_max_attempts=request_max_attempts,
            request_backoff_factor=request_backoff_factor,
        )
        self._lock = threading.Lock()
        self.used_weight: int | None = None
        """Weight Binance reported on the last answer."""
        self._used_weight_window = 0

    def klines(
        self, symbol: str, interval: str, start: datetime, cutoff: datetime
    ) -> Iterator[pa.Table]:
        """Closed candles of ``symbol`` opening from ``start`` on and closing before ``cutoff``
        (usually now), one table per page of ``limit`` = the market's maximum."""
        name = rest_interval(interval)
        start_ms, cutoff_ms = epoch_ms(start), epoch_ms(cutoff)
        if start_ms < cutoff_ms:
            log.debug("REST tail of %s %s %s from %s", self.market, symbol, interval, start)
        while start_ms < cutoff_ms:
            rows = self._page(symbol, name, start_ms, cutoff_ms - 1)
            if not rows:
                break
            table = klines_page_table(rows, self.market, symbol, interval)
            closed = table.filter(pc.less(table["close_time"], _timestamp(cutoff_ms)))
            if closed.num_rows:
                yield closed
            following = next_open_ms(int(rows[-1][0]), interval)
            if len(rows) < self.page_limit or following <= start_ms:
                break  # the range up to the cutoff is exhausted
            start_ms = following

    def _page(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[Any]:
        params = {
            "symbol": symbol,
            "interval": interval,
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": self.page_limit,
        }
        what = f"GET {self.url} {symbol} {interval} from {start_ms}"
        self._respect_weight()
        try:
            response = self._client.session.get(self.url, params=params)
        except RequestException as error:
            raise RestError(
                f"{what}: failed after {self.request_max_attempts} attempts ({error})"
            ) from error
        self._note_weight(response)
        if response.status_code == 418:
            retry_after = response.headers.get("Retry-After")
            wait = f"for {retry_after} s (Retry-After)" if retry_after else "before retrying"
            raise RestError(
                f"{what}: HTTP 418, this IP is banned by Binance for exceeding its rate limits "
                f"({_binance_message(response)}); wait {wait} and lower the request rate"
            )
        if response.status_code == 429:
            raise RestError(
                f"{what}: HTTP 429 rate limit still exceeded after "
                f"{self.request_max_attempts} attempts ({_binance_message(response)})"
            )
        if response.status_code >= 500:
            raise RestError(
                f"{what}: HTTP {response.status_code} after {self.request_max_attempts} "
                f"attempts ({_binance_message(response)})"
            )
        if response.status_code != 200:
            raise RestError(f"{what}: HTTP {response.status_code}: {_binance_message(response)}")
        try:
            rows = response.json()
        except ValueError as error:
            raise RestError(f"{what}: the answer is not JSON ({error})") from error
        if not isinstance(rows, list):
            raise RestError(f"{what}: expected a JSON array of klines, got {type(rows).__name__}")
        return rows

    def _window(self, moment: float) -> int:
        return math.floor(moment / self.weight_window_seconds)

    def _note_weight(self, response: Response) -> None:
        header = response.headers.get(WEIGHT_HEADER)
        if header is None or not header.strip().isdigit():
            return
        with self._lock:
            self.used_weight = int(header)
            self._used_weight_window = self._window(self._clock())

    def _respect_weight(self) -> None:
        """Wait for the next weight window when the last answer reported more weight used than
        the headroom allows (holding the lock, so parallel callers wait as well)."""
        with self._lock:
            threshold = self.weight_headroom * self.weight_limit
            if self.used_weight is None or self.used_weight <= threshold:
                return
            now = self._clock()
            if self._window(now) == self._used_weight_window:
                margin = self.weight_window_seconds / 60  # 1 s for a real minute
                wait = (self._used_weight_window + 1) * self.weight_window_seconds - now + margin
                log.info(
                    "Binance request weight %d of %d used (over %.0f%%): waiting %.1f s for the "
                    "next window before requesting %s",
                    self.used_weight,
                    self.weight_limit,
                    100 * self.weight_headroom,
                    wait,
                    self.url,
                )
                self._sleep(wait)
            self.used_weight = None


def _timestamp(epoch_ms: int) -> pa.Scalar:
    return pa.scalar(epoch_ms * 1000, pa.int64()).cast(KLINES_SCHEMA.field("close_time").type)


def _binance_message(response: Response) -> str:
    """Binance's error ``msg`` (with its ``code``), or the start of a non-JSON body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason or "no message"
    if isinstance(body, dict) and "msg" in body:
        return f"Binance error {body.get('code')}: {body['msg']}"
    return str(body)[:200]
