"""ccxt's real ``binance`` class against the local exchange: markets, paging, retries, equality.

ccxt is pointed at 127.0.0.1 through its constructor settings (``urls``, ``options``), so
``load_markets`` reads the local ``exchangeInfo`` and ``fetch_ohlcv`` the local klines.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from demo.exchange.server import LocalExchange
from ingestion.exchange.ccxt_klines import (
    CcxtError,
    ccxt_klines,
    float_decimals,
    make_exchange,
)
from ingestion.exchange.raw_tables import KLINES_SCHEMA
from ingestion.exchange.rest import BinanceRest

NOW = datetime(2025, 3, 3, 12, 0, 30, tzinfo=UTC)
"""Half a minute into 12:00: the exchange serves the 12:00 candle still open."""
START = datetime(2025, 3, 2, 18, tzinfo=UTC)
MINUTES = 18 * 60  # 18:00 to 11:59
COMPARED = ("open_time", "open", "high", "low", "close", "volume", "close_time")


def config(exchange: LocalExchange) -> dict:
    return {**exchange.ccxt_config(), "enableRateLimit": False}


def load(exchange: LocalExchange, symbols, start=START, cutoff=NOW, **settings) -> pa.Table:
    settings.setdefault("backoff_seconds", 0.01)
    tables = list(
        ccxt_klines("binance", symbols, "1m", start, cutoff, config(exchange), **settings)
    )
    return pa.concat_tables(tables) if tables else KLINES_SCHEMA.empty_table()


def statuses(exchange: LocalExchange, path: str) -> list[int]:
    return [status for _, target, status in exchange.requests if target.startswith(path)]


def test_exchange_info_is_good_enough_for_ccxt(exchange):
    binance = make_exchange("binance", config(exchange))
    markets = binance.load_markets()
    spot, swap = markets["BTC/USDT"], markets["BTC/USDT:USDT"]
    assert (spot["id"], spot["spot"], spot["active"]) == ("BTCUSDT", True, True)
    assert (swap["id"], swap["swap"], swap["linear"]) == ("BTCUSDT", True, True)
    assert {"SOL/USDT", "ETH/USDT:USDT"} <= set(markets)
    assert spot["precision"]["price"] == 0.01
    assert [path for _, path, _ in exchange.requests] == [
        "/api/v3/exchangeInfo",
        "/fapi/v1/exchangeInfo",
    ]


@pytest.mark.parametrize(("symbol", "market"), [("BTC/USDT", "spot"), ("ETH/USDT:USDT", "um")])
def test_ccxt_rows_equal_rest_rows(exchange, symbol, market):
    table = load(exchange, [symbol], limit=400)
    assert table.schema == KLINES_SCHEMA
    assert table.num_rows == MINUTES  # the 12:00 candle, still open at 12:00:30, is dropped
    assert len(statuses(exchange, "/fapi/v1/klines" if market == "um" else "/api/v3/klines")) > 2
    market_id = symbol.split(":")[0].replace("/", "")
    rest = BinanceRest(exchange.url, market).klines(market_id, "1m", START, NOW)
    expected = pa.concat_tables(list(rest))
    assert table.select(COMPARED).equals(expected.select(COMPARED))
    assert table["open_time"].to_pylist()[-1] == datetime(2025, 3, 3, 11, 59, tzinfo=UTC)
    constants = {
        (row["exchange"], row["market"], row["symbol"], row["interval"], row["data_source"])
        for row in table.select(
            ["exchange", "market", "symbol", "interval", "data_source"]
        ).to_pylist()
    }
    assert constants == {("binance", market, market_id, "1m", "ccxt")}
    for name in ("quote_volume", "trade_count", "taker_buy_volume", "taker_buy_quote_volume"):
        assert table[name].null_count == table.num_rows
    assert table["source_file"].null_count == table.num_rows


def test_several_symbols_in_one_call(exchange):
    start = NOW - timedelta(minutes=30, seconds=30)
    table = load(exchange, ["BTC/USDT", "ETH/USDT"], start=start)
    assert table["symbol"].to_pylist() == ["BTCUSDT"] * 30 + ["ETHUSDT"] * 30


def test_floats_become_exact_decimals():
    values = pa.array([42000.1, 1e-05, 12345678.12345678, 0.1 + 0.2, 1e16, None], pa.float64())
    assert float_decimals(values).to_pylist() == [
        Decimal("42000.1"),
        Decimal("0.00001"),
        Decimal("12345678.12345678"),
        Decimal("0.3"),
        Decimal("10000000000000000"),
        None,
    ]


def test_rate_limit_and_unavailable_are_retried(exchange):
    exchange.faults.add("rate_limit", path_contains="/api/v3/klines", retry_after=1)
    exchange.faults.add("server_error", path_contains="/fapi/v1/klines", times=2)
    slept: list[float] = []
    start = NOW - timedelta(minutes=10, seconds=30)
    table = load(exchange, ["BTC/USDT", "BTC/USDT:USDT"], start=start, sleep=slept.append)
    assert table.num_rows == 20
    assert statuses(exchange, "/api/v3/klines") == [429, 200]
    assert statuses(exchange, "/fapi/v1/klines") == [503, 503, 200]
    assert slept[0] == 1.0  # Retry-After, longer than the 0.01 s backoff
    assert slept[1:] == [0.01, 0.02]


def test_ban_stops_at_once_naming_exchange_and_symbol(exchange):
    exchange.faults.add("ban", path_contains="/api/v3/klines", retry_after=600, times=5)
    slept: list[float] = []
    with pytest.raises(CcxtError) as error:
        load(exchange, ["BTC/USDT"], sleep=slept.append)
    assert slept == []  # no waiting, no retry
    message = str(error.value)
    assert message.startswith("binance fetch_ohlcv BTC/USDT")
    assert "418" in message and "banned" in message and "600 s" in message
    assert statuses(exchange, "/api/v3/klines") == [418]


def test_persistent_network_errors_give_up(exchange):
    exchange.faults.add("disconnect", path_contains="/api/v3/klines", times=10)
    with pytest.raises(CcxtError, match=r"binance fetch_ohlcv BTC/USDT .*failed after 3 attempts"):
        load(exchange, ["BTC/USDT"], max_attempts=3)
    assert statuses(exchange, "/api/v3/klines") == [0, 0, 0]


def test_unknown_symbol_and_exchange(exchange):
    with pytest.raises(CcxtError, match="binance DOGE/USDT: unknown market"):
        load(exchange, ["DOGE/USDT"])
    with pytest.raises(ValueError, match="no exchange 'nosuchexchange'"):
        make_exchange("nosuchexchange")


def test_missing_ccxt_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ccxt", None)  # what `import ccxt` sees when absent
    with pytest.raises(ImportError, match=r"pip install 'tributary\[ccxt\]'"):
        next(ccxt_klines("binance", ["BTC/USDT"], "1m", START, NOW))
