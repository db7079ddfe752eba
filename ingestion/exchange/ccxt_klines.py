"""Candles of other exchanges through ccxt's ``fetch_ohlcv`` (optional: ``tributary[ccxt]``).

``ccxt_klines("kraken", ["BTC/USD"], "1h", start, cutoff)`` pages ``fetch_ohlcv`` by ``since``
and yields one Arrow table per page in the schema of ``raw_exchange.klines``: ``exchange`` is the
ccxt exchange id, ``symbol`` the exchange's own market id (``BTCUSDT``, not ``BTC/USDT``),
``market`` is ``spot``, ``um`` (linear swaps and futures) or ``cm`` (inverse ones) and
``data_source`` is ``ccxt``. ccxt returns six fields per candle, so quote volume, trade count and
the taker volumes are null. Only closed candles are kept (open + interval <= cutoff, i.e. the
close time is before the cutoff).

ccxt parses prices into floats; each float is turned back into the shortest decimal string that
round-trips (``42000.1`` stays ``42000.1``) and rounded to 8 places, so values that came as
8-decimal strings from the exchange arrive unchanged.

ccxt does not retry, so this module does, with exponential backoff and honouring ``Retry-After``
when the exchange sends one: ccxt's recoverable errors (``ccxt.OperationFailed``, which holds
``NetworkError``, ``RateLimitExceeded``, ``ExchangeNotAvailable``, ``RequestTimeout`` and
``BadResponse``) and any error raised on an HTTP 429 or 5xx answer (ccxt classes errors by the
body's error code too: Binance's 503 ``-1001`` may arrive as ``OperationFailed`` or
``ExchangeError``). An HTTP 418 (an IP ban: ccxt calls it ``DDoSProtection``, like a 429) and
every other error stop at once with a :class:`CcxtError` naming the exchange and the symbol.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import ModuleType
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.exchange.raw_tables import KLINES_SCHEMA, PRICE, TIMESTAMP
from ingestion.exchange.rest import epoch_ms, next_open_ms, rest_interval

log = logging.getLogger(__name__)

DATA_SOURCE = "ccxt"
_WIDE_DECIMAL = pa.decimal256(76, 40)
"""Wide enough for any float's shortest repr before rounding to 8 places."""
T = TypeVar("T")


class CcxtError(Exception):
    """A ccxt call that failed for good; the message names the exchange and the symbol."""


def import_ccxt() -> ModuleType:
    """The ccxt module, or an error that says how to install it."""
    try:
        import ccxt
    except ImportError as error:
        raise ImportError(
            "ccxt is not installed; install the optional extra: pip install 'tributary[ccxt]'"
        ) from error
    return ccxt


def make_exchange(exchange_id: str, exchange_config: Mapping[str, Any] | None = None) -> Any:
    """A ccxt exchange object; ``exchange_config`` goes to its constructor (``urls``,
    ``options``, ``rateLimit``, ``timeout``...)."""
    ccxt = import_ccxt()
    exchange_class = getattr(ccxt, exchange_id, None)
    if exchange_id not in ccxt.exchanges or exchange_class is None:
        raise ValueError(f"ccxt has no exchange {exchange_id!r} (see ccxt.exchanges)")
    return exchange_class(dict(exchange_config or {}))


def market_kind(market: Mapping[str, Any]) -> str:
    """``spot``, ``um`` (linear contracts) or ``cm`` (inverse contracts) of a ccxt market."""
    if market.get("spot"):
        return "spot"
    if market.get("linear"):
        return "um"
    if market.get("inverse"):
        return "cm"
    raise ValueError(f"{market.get('symbol')}: neither spot nor a linear or inverse contract")


def float_decimals(values: pa.Array) -> pa.Array:
    """Floats as DECIMAL(38,8) through their shortest decimal text, rounded to 8 places."""
    text = pc.cast(values, pa.string())
    wide = pc.cast(text, _WIDE_DECIMAL)
    return pc.round(wide, ndigits=8, round_mode="half_to_even").cast(PRICE)


def _constant(value: str | None, rows: int) -> pa.Array:
    return pa.repeat(value, rows).cast(pa.string())


def ohlcv_table(
    candles: Sequence[Sequence[Any]],
    exchange_id: str,
    market: str,
    symbol: str,
    interval: str,
) -> pa.Table:
    """ccxt OHLCV rows (``[ms, open, high, low, close, volume]``) as ``raw_exchange.klines``."""
    count = len(candles)
    columns = list(zip(*candles, strict=True)) if candles else [()] * 6
    open_ms = [int(value) for value in columns[0]]
    close_ms = [next_open_ms(value, interval) - 1 for value in open_ms]

    def decimal(index: int) -> pa.Array:
        return float_decimals(pa.array(columns[index], pa.float64()))

    def timestamp(values: list[int]) -> pa.Array:
        return pc.multiply(pa.array(values, pa.int64()), 1_000).cast(TIMESTAMP)

    empty_decimal = pa.nulls(count, PRICE)
    values = {
        "exchange": _constant(exchange_id, count),
        "market": _constant(market, count),
        "symbol": _constant(symbol, count),
        "interval": _constant(interval, count),
        "open_time": timestamp(open_ms),
        "open": decimal(1),
        "high": decimal(2),
        "low": decimal(3),
        "close": decimal(4),
        "volume": decimal(5),
        "close_time": timestamp(close_ms),
        "quote_volume": empty_decimal,
        "trade_count": pa.nulls(count, pa.int64()),
        "taker_buy_volume": empty_decimal,
        "taker_buy_quote_volume": empty_decimal,
        "data_source": _constant(DATA_SOURCE, count),
        "source_file": _constant(None, count),
    }
    return pa.table([values[field.name] for field in KLINES_SCHEMA], schema=KLINES_SCHEMA)


class _Caller:
    """Calls ccxt methods with retries of the transient errors."""

    def __init__(
        self,
        exchange: Any,
        ccxt: ModuleType,
        max_attempts: int,
        backoff_seconds: float,
        sleep: Callable[[float], None],
    ) -> None:
        self.exchange, self.ccxt = exchange, ccxt
        self.max_attempts, self.backoff_seconds, self.sleep = max_attempts, backoff_seconds, sleep
        self.last_status: int | None = None
        # ccxt's own hook for every HTTP answer: remember the status, which its errors lose
        # (Binance's 418 ban and 429 both become DDoSProtection).
        original = exchange.on_rest_response

        def on_rest_response(code: Any, *args: Any) -> Any:
            self.last_status = int(code) if code is not None else None
            return original(code, *args)

        exchange.on_rest_response = on_rest_response

    def __call__(self, what: str, call: Callable[[], T]) -> T:
        exchange_id = self.exchange.id
        for attempt in range(1, self.max_attempts + 1):
            self.last_status = None
            try:
                return call()
            except self.ccxt.BaseError as error:
                status = self.last_status
                if status == 418:
                    raise CcxtError(
                        f"{exchange_id} {what}: HTTP 418, this IP is banned by the exchange "
                        f"for exceeding its rate limits{self._retry_after_text()}; wait, lower "
                        f"the request rate and try again later ({error})"
                    ) from error
                transient = isinstance(error, self.ccxt.OperationFailed) or (
                    status is not None and (status == 429 or status >= 500)
                )
                if not transient:
                    raise CcxtError(
                        f"{exchange_id} {what}: {type(error).__name__}: {error}"
                    ) from error
                if attempt == self.max_attempts:
                    raise CcxtError(
                        f"{exchange_id} {what}: failed after {attempt} attempts "
                        f"({type(error).__name__}: {error})"
                    ) from error
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                retry_after = self._retry_after()
                if retry_after is not None:
                    delay = max(delay, retry_after)
                log.warning(
                    "%s %s: %s (attempt %d of %d), retrying in %.1f s",
                    exchange_id,
                    what,
                    type(error).__name__,
                    attempt,
                    self.max_attempts,
                    delay,
                )
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _retry_after(self) -> float | None:
        headers = getattr(self.exchange, "last_response_headers", None) or {}
        value = str(headers.get("Retry-After", "")).strip()
        return float(value) if value.isdigit() else None

    def _retry_after_text(self) -> str:
        retry_after = self._retry_after()
        return f" (Retry-After: {retry_after:.0f} s)" if retry_after is not None else ""


def ccxt_klines(
    exchange_id: str,
    symbols: Sequence[str],
    interval: str,
    start: datetime,
    cutoff: datetime,
    exchange_config: Mapping[str, Any] | None = None,
    *,
    limit: int = 1000,
    max_attempts: int = 5,
    backoff_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[pa.Table]:
    """Closed candles of ``symbols`` (ccxt unified symbols, e.g. ``BTC/USDT``, futures
    ``BTC/USDT:USDT``) opening from ``start`` on, one table per page of at most ``limit``.

    ``interval`` is an archive interval name (``1m``, ``1h``, ``1d``, ``1mo``...).
    """
    ccxt = import_ccxt()
    exchange = make_exchange(exchange_id, exchange_config)
    timeframe = rest_interval(interval)  # ccxt names intervals as Binance's REST API does
    timeframes = getattr(exchange, "timeframes", None) or {}
    if timeframes and timeframe not in timeframes:
        raise ValueError(
            f"{exchange_id} has no {interval!r} candles; it offers {', '.join(timeframes)}"
        )
    start_ms, cutoff_ms = epoch_ms(start), epoch_ms(cutoff)
    call = _Caller(exchange, ccxt, max_attempts, backoff_seconds, sleep)
    call("load_markets", exchange.load_markets)
    for symbol in symbols:
        try:
            market = exchange.market(symbol)
        except ccxt.BaseError as error:
            raise CcxtError(f"{exchange_id} {symbol}: unknown market ({error})") from error
        kind = market_kind(market)
        since = start_ms
        while since < cutoff_ms:
            page = call(
                f"fetch_ohlcv {symbol} {timeframe} since {since}",
                lambda symbol=symbol, since=since: exchange.fetch_ohlcv(
                    symbol, timeframe, since=since, limit=limit
                ),
            )
            if not page:
                break
            kept = [
                candle
                for candle in page
                if since <= candle[0] and next_open_ms(int(candle[0]), interval) <= cutoff_ms
            ]
            if kept:
                yield ohlcv_table(kept, exchange_id, kind, market["id"], interval)
            following = next_open_ms(int(page[-1][0]), interval)
            if following <= since:
                break
            since = following
