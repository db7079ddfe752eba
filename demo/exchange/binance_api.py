"""What the local exchange answers on Binance's REST endpoints, in Binance's formats.

``klines`` validated as Binance validates it (error codes and messages), each answer with the
request weight Binance counts for it, and a minimal but valid ``exchangeInfo`` (what ccxt's
``binance`` reads before it asks for candles).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from demo.exchange.candles import Candle, profile_for
from demo.exchange.klines import CandleBook, bucket_end

REST_INTERVALS = frozenset(
    ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"]
)
"""Intervals served (Binance's REST names). ``1s`` is not: the generator's finest grain is 1m."""

MARKETS = {"/api/v3": "spot", "/fapi/v1": "um"}
"""REST path prefix of each market."""
MAX_LIMIT = {"spot": 1000, "um": 1500}
DEFAULT_LIMIT = 500
QUOTE_ASSETS = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY")


class BinanceError(Exception):
    """An error answer in Binance's format: HTTP status and ``{"code": ..., "msg": ...}``."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def _decimal(value: float | Decimal) -> str:
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


def klines(
    book: CandleBook, symbols: Sequence[str], market: str, params: dict[str, str], now_ms: int
) -> tuple[list[list[Any]], int]:
    """The answer of ``GET klines`` with ``params`` on ``market`` and its weight; raises
    :class:`BinanceError` like Binance."""
    symbol = _mandatory(params, "symbol")
    interval = _mandatory(params, "interval")
    start_ms = _integer(params, "startTime")
    end_ms = _integer(params, "endTime")
    limit = _integer(params, "limit")
    limit = DEFAULT_LIMIT if limit is None else limit
    if symbol not in symbols:
        raise BinanceError(400, -1121, "Invalid symbol.")
    if interval not in REST_INTERVALS:
        raise BinanceError(400, -1120, "Invalid interval.")
    if not 1 <= limit <= MAX_LIMIT[market]:
        raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise BinanceError(400, -1023, "Start time is greater than end time.")
    candles = book.klines(symbol, interval, start_ms, end_ms, limit, now_ms)
    return [kline_json(candle, interval) for candle in candles], request_weight(limit)


def exchange_info(
    symbols: Sequence[str], market: str, weight_limit: int | None, now_ms: int
) -> dict[str, Any]:
    """A minimal but valid ``exchangeInfo`` of ``market`` for ``symbols``."""
    entries = []
    for symbol in symbols:
        base, quote = split_symbol(symbol)
        tick = f"{profile_for(symbol).tick:.8f}"
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
        entries.append(entry)
    limit = weight_limit or (6000 if market == "spot" else 2400)
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": limit,
            }
        ],
        "exchangeFilters": [],
        "symbols": entries,
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
