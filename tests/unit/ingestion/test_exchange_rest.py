"""The Binance REST tail client against the local exchange over real HTTP.

Paging, the still-open candle and every HTTP failure mode are exercised for real: the local
exchange answers 429/418/503, cuts bodies short, drops connections, answers slowly and counts
request weight like Binance; the request log shows what the client really sent.
"""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from demo.exchange.candles import DEFAULT_MAINTENANCE, kline_rows, parse_window
from demo.exchange.server import LocalExchange
from ingestion.exchange.layout import Month
from ingestion.exchange.raw_tables import KLINES_SCHEMA
from ingestion.exchange.rest import DEFAULT_BASE_URLS, BinanceRest, RestError, klines_page_table

NOW = datetime(2025, 3, 3, 12, 0, 30, tzinfo=UTC)
"""Half a minute into 12:00: the exchange serves the 12:00 candle still open."""
MARCH_1 = datetime(2025, 3, 1, tzinfo=UTC)
NOON = datetime(2025, 3, 3, 12, tzinfo=UTC)
MINUTES_TO_NOON = 2 * 1440 + 720
KLINES = "/api/v3/klines"


def client(exchange: LocalExchange, market: str = "spot", **settings) -> BinanceRest:
    settings.setdefault("request_backoff_factor", 0.01)
    return BinanceRest(exchange.url, market, **settings)


def load(rest: BinanceRest, start=MARCH_1, cutoff=NOON, symbol="BTCUSDT", interval="1m"):
    tables = list(rest.klines(symbol, interval, start, cutoff))
    return tables, (pa.concat_tables(tables) if tables else KLINES_SCHEMA.empty_table())


def statuses(exchange: LocalExchange, path: str = KLINES) -> list[int]:
    return [status for _, target, status in exchange.requests if target.startswith(path)]


def open_minutes(table: pa.Table) -> list[datetime]:
    return table["open_time"].to_pylist()


def expected_minutes(first: datetime, count: int) -> list[datetime]:
    return [first + timedelta(minutes=i) for i in range(count)]


# --- paging and content ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("market", "pages"), [("spot", [1000, 1000, 1000, 600]), ("um", [1500, 1500, 600])]
)
def test_pages_cover_the_range_without_gaps_or_duplicates(exchange, market, pages):
    tables, table = load(client(exchange, market))
    assert [t.num_rows for t in tables] == pages
    assert open_minutes(table) == expected_minutes(MARCH_1, MINUTES_TO_NOON)
    assert statuses(exchange, "/") == [200] * len(pages)
    starts = [
        int(target.split("startTime=")[1].split("&")[0]) for _, target, _ in exchange.requests
    ]
    first_ms = int(MARCH_1.timestamp() * 1000)
    assert starts == [first_ms + 60_000 * sum(pages[:i]) for i in range(len(pages))]


def test_rows_are_the_exchange_candles_exactly(exchange):
    _, table = load(client(exchange), start=datetime(2025, 3, 2, 22, tzinfo=UTC))
    assert table.schema == KLINES_SCHEMA
    windows = [parse_window(window) for window in DEFAULT_MAINTENANCE]
    generated = {row[0]: row for row in kline_rows("BTCUSDT", Month(2025, 3), windows)}
    assert table.num_rows == 14 * 60
    for row in table.to_pylist():
        open_ms = int(row["open_time"].timestamp() * 1000)
        o, h, lo, c, v, qv, n, tbv, tbqv = generated[open_ms][1:]
        assert [row["open"], row["high"], row["low"], row["close"], row["volume"]] == [
            Decimal(f"{value:.8f}") for value in (o, h, lo, c, v)
        ]
        assert row["quote_volume"] == Decimal(f"{qv:.8f}") and row["trade_count"] == n
        assert row["taker_buy_volume"] == Decimal(f"{tbv:.8f}")
        assert row["taker_buy_quote_volume"] == Decimal(f"{tbqv:.8f}")
        assert row["close_time"] - row["open_time"] == timedelta(seconds=59.999)
        assert (row["exchange"], row["market"], row["symbol"], row["interval"]) == (
            "binance",
            "spot",
            "BTCUSDT",
            "1m",
        )
        assert (row["data_source"], row["source_file"]) == ("rest", None)


def test_the_still_open_candle_is_dropped(exchange):
    """At 12:00:30 the exchange serves the 12:00 candle (closing 12:00:59.999): not loaded."""
    _, table = load(client(exchange), start=NOON - timedelta(minutes=5), cutoff=NOW)
    served = exchange.requests[-1][1]
    assert f"endTime={int(NOW.timestamp() * 1000) - 1}" in served
    assert open_minutes(table) == expected_minutes(NOON - timedelta(minutes=5), 5)
    assert max(table["close_time"].to_pylist()) < NOW
    # The exchange really did send the open candle: ask it directly, as the client did.
    raw = client(exchange)._page("BTCUSDT", "1m", int(NOON.timestamp() * 1000), 2**41)
    assert [row[0] for row in raw] == [int(NOON.timestamp() * 1000)]


def test_a_past_cutoff_ends_the_range(exchange):
    cutoff = datetime(2025, 3, 2, tzinfo=UTC)
    tables, table = load(client(exchange, "um"), cutoff=cutoff)
    assert open_minutes(table) == expected_minutes(MARCH_1, 1440)
    assert len(tables) == 1
    assert statuses(exchange, "/fapi/v1/klines") == [200]  # a short page: nothing after it


def test_month_interval_is_1M_in_rest(exchange):
    _, table = load(client(exchange), start=datetime(2025, 2, 1, tzinfo=UTC), interval="1mo")
    # February is closed; March (still running on 2025-03-03) is not loaded.
    assert open_minutes(table) == [datetime(2025, 2, 1, tzinfo=UTC)]
    assert table["close_time"].to_pylist() == [MARCH_1 - timedelta(milliseconds=1)]
    assert table["interval"].to_pylist() == ["1mo"]
    assert "interval=1M&" in exchange.requests[0][1]


def test_page_parsing_is_exact_and_checked():
    row = [1740787200000, "42000.10000000", "0.00000001", "1", "2.5", "3", 1740787259999]
    row += ["99999999999.12345678", 7, "0", "0.00000000", "0"]
    table = klines_page_table([row], "spot", "BTCUSDT", "1m")
    assert table["open"].to_pylist() == [Decimal("42000.1")]
    assert table["high"].to_pylist() == [Decimal("0.00000001")]
    assert table["quote_volume"].to_pylist() == [Decimal("99999999999.12345678")]
    assert klines_page_table([], "spot", "BTCUSDT", "1m").schema == KLINES_SCHEMA
    with pytest.raises(RestError, match="malformed"):
        klines_page_table([[*row[:1], "1.123456789", *row[2:]]], "spot", "BTCUSDT", "1m")
    with pytest.raises(RestError, match="unequal length"):
        klines_page_table([row, row[:11]], "spot", "BTCUSDT", "1m")


def test_settings_are_checked():
    assert DEFAULT_BASE_URLS == {
        "spot": "https://data-api.binance.vision",
        "um": "https://fapi.binance.com",
    }
    with pytest.raises(ValueError, match="market"):
        BinanceRest("http://127.0.0.1:1", "options")
    rest = BinanceRest("http://127.0.0.1:1", "spot")
    with pytest.raises(ValueError, match="interval"):
        next(rest.klines("BTCUSDT", "7m", MARCH_1, NOON))
    with pytest.raises(ValueError, match="time zone"):
        next(rest.klines("BTCUSDT", "1m", MARCH_1.replace(tzinfo=None), NOON))


# --- HTTP failures -----------------------------------------------------------------------------


def test_429_waits_retry_after_then_succeeds(exchange):
    exchange.faults.add("rate_limit", path_contains=KLINES, retry_after=1)
    started = time.monotonic()
    _, table = load(client(exchange), start=NOON - timedelta(minutes=10))
    elapsed = time.monotonic() - started
    assert statuses(exchange) == [429, 200]
    assert elapsed >= 0.95  # Retry-After, not the 0.01 s backoff
    assert table.num_rows == 10


def test_503_twice_then_succeeds(exchange):
    exchange.faults.add("server_error", path_contains=KLINES, times=2)
    _, table = load(client(exchange), start=NOON - timedelta(minutes=10))
    assert statuses(exchange) == [503, 503, 200]
    assert table.num_rows == 10


def test_server_errors_that_persist_end_in_rest_error(exchange):
    exchange.faults.add("server_error", path_contains=KLINES, times=10)
    with pytest.raises(RestError, match="HTTP 503 after 3 attempts"):
        load(client(exchange, request_max_attempts=3))
    assert statuses(exchange) == [503, 503, 503]


def test_418_stops_at_once(exchange):
    exchange.faults.add("ban", path_contains=KLINES, retry_after=120, times=5)
    with pytest.raises(RestError) as error:
        load(client(exchange))
    message = str(error.value)
    assert "418" in message and "banned" in message and "120 s" in message and "wait" in message
    assert statuses(exchange) == [418]  # not retried


def test_other_client_errors_carry_the_binance_message(exchange):
    with pytest.raises(RestError, match=r"HTTP 400: Binance error -1121: Invalid symbol\."):
        load(client(exchange), symbol="DOGEUSDT")
    assert statuses(exchange) == [400]


def test_truncated_body_is_retried(exchange):
    exchange.faults.add("truncate", path_contains=KLINES)
    _, table = load(client(exchange), start=NOON - timedelta(minutes=10))
    assert statuses(exchange) == [200, 200]  # the first answer was cut short
    assert table.num_rows == 10


def test_dropped_connection_is_retried(exchange):
    exchange.faults.add("disconnect", path_contains=KLINES)
    _, table = load(client(exchange), start=NOON - timedelta(minutes=10))
    assert statuses(exchange) == [0, 200]
    assert table.num_rows == 10


def test_timeout_is_retried(exchange):
    load(client(exchange), start=NOON - timedelta(minutes=10))  # candles generated beforehand
    exchange.requests.clear()
    exchange.faults.add("slow", path_contains=KLINES, delay_seconds=1.0)
    _, table = load(client(exchange, timeout_seconds=0.3), start=NOON - timedelta(minutes=10))
    assert table.num_rows == 10
    deadline = time.monotonic() + 5
    while len(statuses(exchange)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow answer is logged when it is finally sent
    assert sorted(statuses(exchange)) == [200, 200]


def test_unreachable_host_ends_in_rest_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rest = BinanceRest(
        f"http://127.0.0.1:{port}", "spot", request_max_attempts=2, request_backoff_factor=0.01
    )
    with pytest.raises(RestError, match="failed after 2 attempts"):
        load(rest)


# --- request weight ----------------------------------------------------------------------------


def test_weight_headroom_pauses_until_the_next_window(tmp_path, caplog):
    """Each spot page weighs 5; the exchange refuses more than 9 per 0.5 s window. A client that
    watches X-MBX-USED-WEIGHT-1M (pause above 50 % of 9) never gets a 429."""
    window = 0.5
    with LocalExchange(tmp_path, NOW, weight_limit=9, weight_window_seconds=window) as exchange:
        rest = client(exchange, weight_limit=9, weight_headroom=0.5, weight_window_seconds=window)
        with caplog.at_level(logging.INFO, logger="ingestion.exchange.rest"):
            tables, _ = load(rest)
        assert [t.num_rows for t in tables] == [1000, 1000, 1000, 600]
        assert statuses(exchange) == [200, 200, 200, 200]
        waits = [r for r in caplog.records if "waiting" in r.getMessage()]
        # Up to one pause per page seam (none when the window rolled over while a page was
        # being processed, which a loaded machine can make happen).
        assert 1 <= len(waits) <= 3
        assert rest.used_weight == 5


def test_without_headroom_the_same_run_hits_429(tmp_path):
    """The control for the test above: the limit is real, so ignoring the header costs a 429."""
    window = 0.5
    with LocalExchange(tmp_path, NOW, weight_limit=9, weight_window_seconds=window) as exchange:
        rest = client(exchange, weight_limit=9, weight_headroom=100, weight_window_seconds=window)
        # Three pages in well under a window: two of them share one, and 5 + 5 > 9.
        _, table = load(rest, start=NOON - timedelta(minutes=2500))
        assert table.num_rows == 2500
        assert 429 in statuses(exchange)  # dlt waited Retry-After and went on


def test_weight_wait_reaches_the_next_minute(exchange):
    """With Binance's one-minute window: 30 s into a minute, the pause lasts to its end (+1 s)."""
    slept: list[float] = []
    rest = client(
        exchange,
        weight_limit=4,  # every answer reports at least 5: over the 80 % headroom
        sleep=slept.append,
        clock=lambda: 1_741_003_230.0,  # 2025-03-03 12:00:30
    )
    tables, _ = load(rest)
    assert len(tables) == 4
    assert slept == [pytest.approx(31.0)] * 3
