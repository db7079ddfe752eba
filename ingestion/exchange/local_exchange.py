"""A local Binance on 127.0.0.1: the public archive, the REST klines API and switchable faults.

One threaded HTTP server stands in for both Binance hosts the source talks to, so the demo run and
the tests exercise the same code paths as against the real exchange:

- the archive (``data.binance.vision``): ``GET /data/...`` serves the files of a local mirror
  (``python -m ingestion.exchange.mirror``), zips and ``.CHECKSUM`` files, 404 when absent;
- REST (``data-api.binance.vision`` / ``fapi.binance.com``): ``/api/v3/klines`` and
  ``/fapi/v1/klines`` in Binance's formats, limits, error bodies and ``X-MBX-USED-WEIGHT-1M``
  accounting, plus the ``exchangeInfo``, ``time`` and ``ping`` endpoints ccxt's ``binance``
  needs. Candles come from the mirror's generator (:func:`mirror.kline_rows`), so REST and archive
  agree minute by minute; longer intervals are aggregated from the minutes. The exchange's clock
  stands still at ``now``: later candles do not exist yet and the candle holding ``now`` is served
  still open, as Binance serves it;
- faults, switched from Python (``exchange.faults.add("rate_limit")``) or from another process
  (``POST /_control/faults`` with a JSON body of the same fields, ``DELETE /_control/faults``).

Run it in the foreground::

    python -m ingestion.exchange.local_exchange --mirror data/mirror \\
        --now 2025-03-03T12:00:00Z --port 8765
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from demo.http_server import (
    FaultQueue,
    LocalServer,
    OwnedServer,
    PendingFault,
    StandInHandler,
    query_params,
)
from ingestion.exchange import mirror
from ingestion.exchange.defaults import DEFAULT_SYMBOLS
from ingestion.exchange.layout import INTERVAL_MILLISECONDS, Month

log = logging.getLogger(__name__)

WEEK_ORIGIN_MS = 4 * 86_400_000
"""Monday 1970-01-05 00:00 UTC: Binance's weekly candles open on Mondays."""
ONE_BUCKET = 2**62
"""An interval longer than any epoch value, so :func:`mirror.resample` makes one bucket."""

REST_INTERVALS = frozenset(
    ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"]
)
"""Intervals served (Binance's REST names). ``1s`` is not: the generator's finest grain is 1m."""

MARKETS = {"/api/v3": "spot", "/fapi/v1": "um"}
"""REST path prefix of each market."""
MAX_LIMIT = {"spot": 1000, "um": 1500}
DEFAULT_LIMIT = 500
QUOTE_ASSETS = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY")
DEFAULT_LISTED_FROM = datetime(2024, 1, 1, tzinfo=UTC)

FAULT_KINDS = (
    "rate_limit",  # 429 with Retry-After
    "server_error",  # 503
    "ban",  # 418 with Retry-After
    "truncate",  # full Content-Length, half of the body, then the connection closes
    "bad_checksum",  # a .CHECKSUM whose hash is wrong (only matches .CHECKSUM paths)
    "disconnect",  # the connection closes without an answer
    "slow",  # the answer comes after delay_seconds (to trip client timeouts)
)

Candle = tuple[int, float, float, float, float, float, float, int, float, float]
"""``(open_ms, open, high, low, close, volume, quote_volume, trades, taker_buy_volume,
taker_buy_quote_volume)``, as :func:`mirror.kline_rows` yields them."""


# --- faults ------------------------------------------------------------------------------------


@dataclass
class Fault(PendingFault):
    """A fault of the local exchange, one of ``FAULT_KINDS``."""

    retry_after: int = 1
    """Seconds, sent as ``Retry-After`` with ``rate_limit`` and ``ban``."""
    delay_seconds: float = 2.0
    """How long a ``slow`` answer waits."""

    def matches(self, path: str) -> bool:
        if self.kind == "bad_checksum" and not urlsplit(path).path.endswith(".CHECKSUM"):
            return False
        return super().matches(path)


class Faults(FaultQueue[Fault]):
    """The faults waiting to be applied, shared by the server's threads."""

    def add(
        self,
        kind: str,
        path_contains: str = "",
        times: int = 1,
        retry_after: int = 1,
        delay_seconds: float = 2.0,
    ) -> Fault:
        """Apply ``kind`` to the next ``times`` requests whose path contains ``path_contains``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if times < 1 or retry_after < 0 or delay_seconds < 0:
            raise ValueError("times must be >= 1; retry_after and delay_seconds >= 0")
        return self._push(
            Fault(kind, path_contains, int(times), int(retry_after), float(delay_seconds))
        )


# --- candles -----------------------------------------------------------------------------------


_GENERATION_LOCK = threading.Lock()
"""One month is generated at a time: parallel requests for it wait instead of redoing it."""


def _month_candles(
    symbol: str, month: Month, windows: tuple[tuple[int, int], ...]
) -> tuple[list[int], list[Candle]]:
    with _GENERATION_LOCK:
        return _generated_month(symbol, month, windows)


@functools.lru_cache(maxsize=24)
def _generated_month(
    symbol: str, month: Month, windows: tuple[tuple[int, int], ...]
) -> tuple[list[int], list[Candle]]:
    """One month of 1m candles (the archive's generator) and their open times, cached."""
    candles = list(mirror.kline_rows(symbol, month, windows))
    return [candle[0] for candle in candles], candles


def _month_of_ms(epoch_ms: int) -> Month:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return Month(moment.year, moment.month)


def _month_start_ms(month: Month) -> int:
    return int(month.start.timestamp() * 1000)


def bucket_start(open_ms: int, interval: str) -> int:
    """Open time of the candle of ``interval`` (REST name) holding ``open_ms``: UTC-aligned,
    weeks from Monday, months from the 1st."""
    if interval == "1M":
        return _month_start_ms(_month_of_ms(open_ms))
    if interval == "1w":
        week = INTERVAL_MILLISECONDS["1w"]
        return (open_ms - WEEK_ORIGIN_MS) // week * week + WEEK_ORIGIN_MS
    length = INTERVAL_MILLISECONDS[interval]
    return open_ms - open_ms % length


def bucket_end(start_ms: int, interval: str) -> int:
    """Open time of the candle after the one opening at ``start_ms``."""
    if interval == "1M":
        return _month_start_ms(_month_of_ms(start_ms).next())
    return start_ms + INTERVAL_MILLISECONDS[interval]


def _aggregate(minutes: list[Candle], interval: str) -> list[Candle]:
    """Candles of ``interval`` from 1m candles, with the archive mirror's arithmetic."""
    if interval == "1m":
        return minutes
    if interval not in ("1w", "1M"):
        return mirror.resample(minutes, INTERVAL_MILLISECONDS[interval])
    aggregated: list[Candle] = []
    group: list[Candle] = []
    start = end = 0
    for candle in minutes:  # ascending
        if candle[0] >= end:
            if group:
                aggregated.append(_one_candle(group, start))
            start = bucket_start(candle[0], interval)
            end, group = bucket_end(start, interval), []
        group.append(candle)
    if group:
        aggregated.append(_one_candle(group, start))
    return aggregated


def _one_candle(group: list[Candle], start_ms: int) -> Candle:
    (candle,) = mirror.resample(group, ONE_BUCKET)
    return (start_ms, *candle[1:])


class CandleBook:
    """Candles of every symbol and REST interval, from the mirror's generator."""

    def __init__(self, maintenance: Sequence[str], listed_from: datetime) -> None:
        self.windows = tuple(mirror._parse_window(window) for window in maintenance)
        self.listed_from_ms = int(listed_from.timestamp() * 1000)

    def minutes(self, symbol: str, first_ms: int, last_ms: int) -> list[Candle]:
        """1m candles with ``first_ms <= open_time <= last_ms``."""
        first_ms = max(first_ms, self.listed_from_ms)
        if last_ms < first_ms:
            return []
        found: list[Candle] = []
        month = _month_of_ms(first_ms)
        while _month_start_ms(month) <= last_ms:
            opens, candles = _month_candles(symbol, month, self.windows)
            low = bisect.bisect_left(opens, first_ms)
            high = bisect.bisect_right(opens, last_ms)
            found.extend(candles[low:high])
            month = month.next()
        return found

    def klines(
        self,
        symbol: str,
        interval: str,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
        now_ms: int,
    ) -> list[Candle]:
        """What ``GET klines`` answers: up to ``limit`` candles opening from ``start_ms`` on, or
        the last ``limit`` opening up to ``end_ms`` (or now) when there is no start. Nothing opens
        after now, and the candle holding now holds the minutes up to now (it is still open)."""
        last_open_ms = now_ms if end_ms is None else min(end_ms, now_ms)
        until_ms = min(now_ms, bucket_end(bucket_start(last_open_ms, interval), interval) - 1)
        if start_ms is not None:
            first_ms = bucket_start(max(start_ms, self.listed_from_ms), interval)
            if first_ms < start_ms:
                first_ms = bucket_end(first_ms, interval)
            candles: list[Candle] = []
            chunk_start = first_ms
            while len(candles) < limit and chunk_start <= until_ms:
                chunk_end = min(until_ms, self._advance(chunk_start, interval, limit) - 1)
                candles += _aggregate(self.minutes(symbol, chunk_start, chunk_end), interval)
                chunk_start = chunk_end + 1
            return candles[:limit]
        # The most recent ones: widen the window backwards until it holds `limit` candles.
        span = limit
        while True:
            first_ms = bucket_start(self._retreat(last_open_ms, interval, span), interval)
            candles = _aggregate(self.minutes(symbol, first_ms, until_ms), interval)
            if len(candles) >= limit or first_ms <= self.listed_from_ms:
                return candles[-limit:]
            span *= 2

    @staticmethod
    def _advance(start_ms: int, interval: str, count: int) -> int:
        if interval == "1M":
            month = _month_of_ms(start_ms)
            for _ in range(count):
                month = month.next()
            return _month_start_ms(month)
        return start_ms + count * INTERVAL_MILLISECONDS[interval]

    @staticmethod
    def _retreat(end_ms: int, interval: str, count: int) -> int:
        length = 31 * 86_400_000 if interval == "1M" else INTERVAL_MILLISECONDS[interval]
        return end_ms - count * length


def _decimal(value: float) -> str:
    return f"{value:.8f}"


def kline_json(candle: Candle, interval: str) -> list[Any]:
    """A candle as Binance's 12-element kline array."""
    open_ms, o, h, lo, c, v, qv, n, tbv, tbqv = candle
    close_ms = bucket_end(open_ms, interval) - 1
    return [
        open_ms,
        _decimal(o),
        _decimal(h),
        _decimal(lo),
        _decimal(c),
        _decimal(v),
        close_ms,
        _decimal(qv),
        n,
        _decimal(tbv),
        _decimal(tbqv),
        "0",
    ]


def request_weight(limit: int) -> int:
    """Weight Binance counts for a klines request with this ``limit``."""
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    if limit <= 1000:
        return 5
    return 10


# --- the exchange ------------------------------------------------------------------------------


class BinanceError(Exception):
    """An error answer in Binance's format: HTTP status and ``{"code": ..., "msg": ...}``."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class LocalExchange(LocalServer):
    """A local Binance archive and REST API; see the module docstring.

    ``requests`` lists ``(method, path with query, status)`` of every request but the control
    endpoints, in the order they were answered (status 0: the connection was closed without an
    answer). ``symbols`` are the ones REST knows (others get ``-1121 Invalid symbol.``);
    candles exist from ``listed_from`` on. ``weight_limit`` turns on 429 answers once a window's
    weight would exceed it; ``weight_window_seconds`` is the length of that window (Binance: a
    wall-clock minute; tests shorten it).
    """

    def __init__(
        self,
        mirror_root: Path,
        now: datetime,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        maintenance: Sequence[str] = mirror.DEFAULT_MAINTENANCE,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        weight_limit: int | None = None,
        weight_window_seconds: float = 60.0,
        listed_from: datetime = DEFAULT_LISTED_FROM,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        super().__init__(_Server, _Handler, host=host, port=port, name="local-exchange")
        self.mirror_root = Path(mirror_root)
        self.now = now.astimezone(UTC)
        self.symbols = tuple(symbols)
        self.weight_limit = weight_limit
        self.weight_window_seconds = weight_window_seconds
        self.candles = CandleBook(maintenance, listed_from)
        self.faults = Faults()
        self._weight_lock = threading.Lock()
        self._weights: dict[int, int] = {}

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def ccxt_config(self) -> dict[str, Any]:
        """Constructor settings that point ccxt's ``binance`` at this exchange (spot and USD-M)."""
        return {
            "urls": {"api": {"public": f"{self.url}/api/v3", "fapiPublic": f"{self.url}/fapi/v1"}},
            "options": {"fetchMarkets": {"types": ["spot", "linear"]}},
        }

    # --- weight ---

    def used_weight(self) -> int:
        """Weight used in the current window."""
        with self._weight_lock:
            return self._weights.get(self._window(), 0)

    def _window(self) -> int:
        return math.floor(time.time() / self.weight_window_seconds)

    def _spend(self, weight: int) -> tuple[int, int | None]:
        """Count ``weight`` in the current window; return the window's total and, when the limit
        is exceeded (the request is refused and not counted), the Retry-After seconds."""
        with self._weight_lock:
            window = self._window()
            self._weights = {window: self._weights.get(window, 0)}
            used = self._weights[window] + weight
            if self.weight_limit is not None and used > self.weight_limit:
                remaining = (window + 1) * self.weight_window_seconds - time.time()
                return self._weights[window], max(1, math.ceil(remaining))
            self._weights[window] = used
            return used, None

    # --- endpoints ---

    def archive_file(self, path: str) -> bytes | None:
        """A mirror file, or None when absent (or outside the mirror)."""
        root = self.mirror_root.resolve()
        file = (root / path.lstrip("/")).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            return None
        return file.read_bytes()

    def klines(self, market: str, params: dict[str, str]) -> tuple[list[list[Any]], int]:
        """The klines answer and its weight; raises :class:`BinanceError` like Binance."""
        symbol = _mandatory(params, "symbol")
        interval = _mandatory(params, "interval")
        start_ms = _integer(params, "startTime")
        end_ms = _integer(params, "endTime")
        limit = _integer(params, "limit")
        limit = DEFAULT_LIMIT if limit is None else limit
        if symbol not in self.symbols:
            raise BinanceError(400, -1121, "Invalid symbol.")
        if interval not in REST_INTERVALS:
            raise BinanceError(400, -1120, "Invalid interval.")
        if not 1 <= limit <= MAX_LIMIT[market]:
            raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        if start_ms is not None and end_ms is not None and start_ms > end_ms:
            raise BinanceError(400, -1023, "Start time is greater than end time.")
        candles = self.candles.klines(symbol, interval, start_ms, end_ms, limit, self.now_ms)
        return [kline_json(candle, interval) for candle in candles], request_weight(limit)

    def exchange_info(self, market: str) -> dict[str, Any]:
        """A minimal but valid ``exchangeInfo`` for the configured symbols."""
        symbols = []
        for symbol in self.symbols:
            base, quote = split_symbol(symbol)
            tick = f"{mirror.profile_for(symbol).tick:.8f}"
            filters = [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": "1000000.00000000",
                    "tickSize": tick,
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": "0.00001000",
                    "maxQty": "9000.00000000",
                    "stepSize": "0.00001000",
                },
            ]
            entry: dict[str, Any] = {
                "symbol": symbol,
                "status": "TRADING",
                "baseAsset": base,
                "quoteAsset": quote,
                "baseAssetPrecision": 8,
                "quotePrecision": 8,
                "filters": filters,
                "orderTypes": ["LIMIT", "MARKET"],
            }
            if market == "spot":
                entry |= {
                    "quoteAssetPrecision": 8,
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "permissions": ["SPOT"],
                }
            else:
                entry |= {
                    "pair": symbol,
                    "contractType": "PERPETUAL",
                    "deliveryDate": 4133404800000,
                    "onboardDate": 1569398400000,
                    "marginAsset": quote,
                    "pricePrecision": 2,
                    "quantityPrecision": 3,
                    "underlyingType": "COIN",
                    "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
                }
            symbols.append(entry)
        limit = self.weight_limit or (6000 if market == "spot" else 2400)
        return {
            "timezone": "UTC",
            "serverTime": self.now_ms,
            "rateLimits": [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": limit,
                }
            ],
            "exchangeFilters": [],
            "symbols": symbols,
        }


def split_symbol(symbol: str) -> tuple[str, str]:
    """Base and quote asset of a symbol such as ``BTCUSDT``."""
    for quote in QUOTE_ASSETS:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    raise ValueError(f"cannot tell the quote asset of {symbol!r}")


def _mandatory(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise BinanceError(
            400,
            -1102,
            f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
        )
    return value


def _integer(params: dict[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 20:
        raise BinanceError(
            400,
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )
    return int(value)


# --- HTTP --------------------------------------------------------------------------------------


class _Server(OwnedServer):
    owner: LocalExchange


class _Handler(StandInHandler):
    server: _Server
    server_version = "tributary-local-exchange"

    def serve(self, method: str, path: str, target: str) -> None:
        exchange = self.server.owner
        fault = exchange.faults.take(target)
        if fault is not None:
            log.info("fault %s on %s %s", fault.kind, method, target)
            if fault.kind == "disconnect":
                self.close_connection = True
                return
            if fault.kind == "slow":
                time.sleep(fault.delay_seconds)
            elif fault.kind == "truncate":
                self.truncate = True
            elif fault.kind == "rate_limit":
                self._error(
                    429,
                    -1003,
                    "Too many requests; current limit of IP(127.0.0.1) request weight is "
                    f"{exchange.weight_limit or 6000} per 1 MINUTE. Please use WebSocket Streams "
                    "for live updates to avoid polling the API.",
                    {"Retry-After": str(fault.retry_after)},
                )
                return
            elif fault.kind == "ban":
                until = int(time.time() * 1000) + fault.retry_after * 1000
                self._error(
                    418,
                    -1003,
                    f"Way too many requests; IP(127.0.0.1) banned until {until}. Please use "
                    "WebSocket Streams for live updates to avoid bans.",
                    {"Retry-After": str(fault.retry_after)},
                )
                return
            elif fault.kind == "server_error":
                self._error(503, -1001, "Service Unavailable.")
                return
        if method != "GET":
            self.send(405, b"method not allowed\n", "text/plain")
            return
        if path.startswith("/data/"):
            self._archive(path, bad_checksum=fault is not None and fault.kind == "bad_checksum")
            return
        prefix, _, endpoint = path.rpartition("/")
        market = MARKETS.get(prefix)
        if market is None:
            self.send(404, b"not found\n", "text/plain")
            return
        params = query_params(target)
        try:
            if endpoint == "klines":
                rows, weight = exchange.klines(market, params)
                self._api(rows, weight)
            elif endpoint == "exchangeInfo":
                self._api(exchange.exchange_info(market), 20 if market == "spot" else 1)
            elif endpoint == "time":
                self._api({"serverTime": exchange.now_ms}, 1)
            elif endpoint == "ping":
                self._api({}, 1)
            else:
                self.send(404, b"not found\n", "text/plain")
        except BinanceError as error:
            self._error(error.status, error.code, error.msg, weight=1)

    def _archive(self, path: str, bad_checksum: bool) -> None:
        content = self.server.owner.archive_file(path)
        if content is None:
            self.send(404, b"not found\n", "text/plain")
            return
        if bad_checksum:
            name = content.decode(errors="replace").split()[-1]
            wrong = hashlib.sha256(b"not the file " + content).hexdigest()
            content = f"{wrong}  {name}\n".encode()
        kind = "application/zip" if path.endswith(".zip") else "text/plain"
        self.send(200, content, kind)

    def _api(self, payload: Any, weight: int) -> None:
        used, retry_after = self.server.owner._spend(weight)
        if retry_after is not None:
            self._error(
                429,
                -1003,
                "Too much request weight used; current limit is "
                f"{self.server.owner.weight_limit} request weight per 1 MINUTE.",
                {"Retry-After": str(retry_after)},
                used=used,
            )
            return
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send(200, body, "application/json", used_weight=used)

    def _error(
        self,
        status: int,
        code: int,
        msg: str,
        headers: dict[str, str] | None = None,
        *,
        weight: int = 0,
        used: int | None = None,
    ) -> None:
        if used is None:
            used = self.server.owner._spend(weight)[0] if weight else None
        body = json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()
        self.send(status, body, "application/json", headers, used_weight=used)

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        *,
        used_weight: int | None = None,
    ) -> None:
        """Every answer carries the weight used in the current window (``used_weight``: the
        total this request's weight was counted in)."""
        weight = self.server.owner.used_weight() if used_weight is None else used_weight
        weight_header = {"X-MBX-USED-WEIGHT-1M": str(weight)}
        super().send(status, body, content_type, {**weight_header, **(headers or {})})


# --- command line ------------------------------------------------------------------------------


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", type=Path, required=True, help="mirror folder to serve")
    parser.add_argument("--now", type=_parse_now, required=True, help="the exchange's clock (UTC)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--symbols", default=",".join(DEFAULT_SYMBOLS))
    parser.add_argument("--weight-limit", type=int, default=None, help="429 above this weight")
    parser.add_argument(
        "--maintenance",
        action="append",
        help="exchange-wide outage START/END in UTC ISO time (repeatable); "
        f"default {mirror.DEFAULT_MAINTENANCE[0]}",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    exchange = LocalExchange(
        args.mirror,
        args.now,
        host=args.host,
        port=args.port,
        maintenance=args.maintenance or mirror.DEFAULT_MAINTENANCE,
        symbols=args.symbols.split(","),
        weight_limit=args.weight_limit,
    )
    exchange.serve_in_foreground(f"local exchange serving {args.mirror}")


if __name__ == "__main__":
    main()
