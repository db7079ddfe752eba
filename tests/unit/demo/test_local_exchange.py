"""The local exchange over real HTTP: archive files, REST klines, errors, weight and faults.

Expected values come from the mirror's files (read with ``zipfile``), from Decimal arithmetic on
the 1m answers and from the calendar, not from the exchange's own helpers.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from demo.exchange.mirror import write_mirror
from demo.exchange.server import LocalExchange
from ingestion.exchange.archive import ArchiveReader, verify_checksum
from ingestion.exchange.outcomes import ArchiveError

from support.stand_in_command import stand_in_from_command_line

NOW = datetime(2025, 3, 3, 12, 0, 30, tzinfo=UTC)
"""Half a minute into 12:00: the 12:00 candle is still open."""
MARCH_1 = datetime(2025, 3, 1, tzinfo=UTC)
SPOT_DAY = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-01.zip"
UM_DAY = "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-01.zip"
SPOT_DAY_1D = "data/spot/daily/klines/BTCUSDT/1d/BTCUSDT-1d-2025-03-01.zip"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mirror")
    write_mirror(
        root,
        symbols=["BTCUSDT"],
        start=date(2025, 3, 1),
        now=NOW,
        markets=("spot", "um"),
        intervals=("1m", "1d"),
    )
    return root


@pytest.fixture(scope="module")
def module_exchange(mirror) -> Iterator[LocalExchange]:
    with LocalExchange(mirror, NOW) as exchange:
        yield exchange


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def get(url: str, method: str = "GET", payload: Any = None) -> Answer:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def klines(exchange: LocalExchange, market: str = "spot", **params: Any) -> Answer:
    prefix = "/api/v3" if market == "spot" else "/fapi/v1"
    query = "&".join(f"{key}={value}" for key, value in {"symbol": "BTCUSDT", **params}.items())
    return get(f"{exchange.url}{prefix}/klines?{query}")


def csv_lines(zip_content: bytes) -> list[list[str]]:
    with zipfile.ZipFile(io.BytesIO(zip_content)) as archive:
        (member,) = archive.namelist()
        lines = archive.read(member).decode().splitlines()
    return [line.split(",") for line in lines if line[:1].isdigit()]


# --- archive -----------------------------------------------------------------------------------


def test_archive_files_are_served_as_they_are(exchange, mirror):
    for relative in (SPOT_DAY, SPOT_DAY + ".CHECKSUM", UM_DAY):
        answer = get(f"{exchange.url}/{relative}")
        content = (mirror / relative).read_bytes()
        assert answer.status == 200
        assert answer.body == content
        assert answer.headers["Content-Length"] == str(len(content))
    assert get(f"{exchange.url}/data/spot/daily/klines/BTCUSDT/1m/nothing.zip").status == 404
    # No way out of the mirror folder.
    outside = mirror.parent / "secret.txt"
    outside.write_text("secret")
    assert get(f"{exchange.url}/data/../secret.txt").status == 404
    assert get(f"{exchange.url}/data/%2e%2e/%2e%2e/secret.txt").status == 404


def test_a_reissued_file_is_served_at_once(exchange, mirror, tmp_path):
    """Re-issuing is done in the folder (new zip, new checksum): the next request sees it."""
    relative = "data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-03-02.zip"
    path = mirror / relative
    checksum = path.with_name(path.name + ".CHECKSUM")
    before = get(f"{exchange.url}/{relative}").body
    backup = tmp_path / "backup.zip"
    backup.write_bytes(path.read_bytes())
    try:
        reissued = before + b"\x00"  # different bytes, a new checksum
        path.write_bytes(reissued)
        checksum.write_text(f"{hashlib.sha256(reissued).hexdigest()}  {path.name}\n")
        assert get(f"{exchange.url}/{relative}").body == reissued
        body = get(f"{exchange.url}/{relative}.CHECKSUM").body
        verify_checksum(reissued, body, relative)
    finally:
        path.write_bytes(backup.read_bytes())
        checksum.write_text(f"{hashlib.sha256(before).hexdigest()}  {path.name}\n")


# --- REST klines -------------------------------------------------------------------------------


@pytest.mark.parametrize(("market", "path"), [("spot", SPOT_DAY), ("um", UM_DAY)])
def test_rest_minutes_equal_the_archive_minutes(exchange, mirror, market, path):
    """Same generator: every 1m candle of 2025-03-01 is identical in REST and in the archive
    (spot files of 2025 count in microseconds, REST and futures in milliseconds)."""
    archive = csv_lines((mirror / path).read_bytes())
    assert len(archive) == 1440
    rest: list[list[Any]] = []
    start = ms(MARCH_1)
    while len(rest) < 1440:
        answer = klines(exchange, market, interval="1m", startTime=start, limit=1000)
        assert answer.status == 200
        page = answer.json()
        rest += page
        start = page[-1][0] + 60_000
    rest = rest[:1440]
    scale = 1000 if market == "spot" else 1
    for line, kline in zip(archive, rest, strict=True):
        assert len(kline) == 12
        assert int(line[0]) == kline[0] * scale
        assert line[1:6] == kline[1:6]  # o, h, l, c, volume: the same 8-decimal strings
        assert int(line[6]) == (kline[6] + 1) * scale - 1  # last ms / last µs of the minute
        assert line[7] == kline[7] and int(line[8]) == kline[8] and line[9:11] == kline[9:11]
        assert kline[11] == "0"
        assert all(isinstance(kline[i], str) and len(kline[i].split(".")[1]) == 8 for i in (1, 5))


def test_hour_candles_aggregate_the_minutes(exchange):
    minutes = klines(exchange, interval="1m", startTime=ms(MARCH_1), limit=120).json()
    hours = klines(exchange, interval="1h", startTime=ms(MARCH_1), limit=2).json()
    assert [hour[0] for hour in hours] == [ms(MARCH_1), ms(MARCH_1) + 3_600_000]
    for hour, group in zip(hours, (minutes[:60], minutes[60:]), strict=True):
        assert hour[6] == hour[0] + 3_600_000 - 1
        assert Decimal(hour[1]) == Decimal(group[0][1])
        assert Decimal(hour[2]) == max(Decimal(m[2]) for m in group)
        assert Decimal(hour[3]) == min(Decimal(m[3]) for m in group)
        assert Decimal(hour[4]) == Decimal(group[-1][4])
        assert Decimal(hour[5]) == sum(Decimal(m[5]) for m in group)
        assert hour[8] == sum(m[8] for m in group)
        assert abs(Decimal(hour[7]) - sum(Decimal(m[7]) for m in group)) < Decimal("0.0001")


def test_day_candle_equals_the_archive_day_file(exchange, mirror):
    (line,) = csv_lines((mirror / SPOT_DAY_1D).read_bytes())
    (day,) = klines(exchange, interval="1d", startTime=ms(MARCH_1), limit=1).json()
    assert int(line[0]) == day[0] * 1000
    assert line[1:6] == day[1:6] and line[7:11] == [day[7], str(day[8]), day[9], day[10]]


def test_week_and_month_candles_are_calendar_aligned(exchange):
    weeks = klines(exchange, interval="1w", startTime=ms(MARCH_1) - 7 * 86_400_000).json()
    opens = [datetime.fromtimestamp(week[0] / 1000, UTC) for week in weeks]
    assert opens == [datetime(2025, 2, 24, tzinfo=UTC), datetime(2025, 3, 3, tzinfo=UTC)]
    assert all(moment.weekday() == 0 for moment in opens)  # Mondays
    months = klines(exchange, interval="1M", startTime=ms(datetime(2025, 2, 1, tzinfo=UTC)))
    february, march = months.json()
    assert february[0] == ms(datetime(2025, 2, 1, tzinfo=UTC))
    assert february[6] == ms(datetime(2025, 3, 1, tzinfo=UTC)) - 1
    assert march[0] == ms(MARCH_1) and march[6] == ms(datetime(2025, 4, 1, tzinfo=UTC)) - 1


def test_nothing_after_now_and_the_current_candle_is_open(exchange):
    latest = klines(exchange, interval="1m", limit=3).json()  # no startTime: the most recent
    assert [k[0] for k in latest] == [ms(NOW) - 30_000 - 60_000 * i for i in (2, 1, 0)]
    assert latest[-1][6] == ms(NOW) + 29_999  # the 12:00 candle closes after now: still open
    future_end = ms(NOW) + 86_400_000
    after = klines(exchange, interval="1m", startTime=ms(NOW) - 30_000, endTime=future_end)
    assert [k[0] for k in after.json()] == [ms(NOW) - 30_000]
    # The hour candle holding now is made of the minutes up to now only.
    (hour,) = klines(exchange, interval="1h", startTime=ms(NOW) - 30_000).json()
    assert hour[0] == ms(NOW) - 30_000 and hour[5] == latest[-1][5] and hour[8] == latest[-1][8]
    assert klines(exchange, interval="1m", startTime=ms(NOW) + 60_000).json() == []


@pytest.mark.parametrize(
    ("market", "params", "code"),
    [
        ("spot", {"symbol": "DOGEUSDT", "interval": "1m"}, -1121),
        ("spot", {"interval": "7m"}, -1120),
        ("spot", {"interval": "1m", "limit": 1001}, -1130),
        ("spot", {"interval": "1m", "limit": 0}, -1130),
        ("um", {"interval": "1m", "limit": 1501}, -1130),
        ("spot", {}, -1102),
        ("spot", {"interval": "1m", "startTime": "yesterday"}, -1100),
        ("spot", {"interval": "1m", "startTime": 2, "endTime": 1}, -1023),
    ],
)
def test_bad_requests_get_binance_errors(exchange, market, params, code):
    answer = klines(exchange, market, **params)
    assert answer.status == 400
    body = answer.json()
    assert body["code"] == code and body["msg"]


def test_limits_per_market(exchange):
    start = ms(MARCH_1)
    assert len(klines(exchange, "um", interval="1m", startTime=start, limit=1500).json()) == 1500
    assert len(klines(exchange, "spot", interval="1m", startTime=start, limit=1000).json()) == 1000
    assert len(klines(exchange, "spot", interval="1m", startTime=start).json()) == 500  # default


def test_weight_is_counted_per_request_and_summed(mirror):
    # A window far longer than the test, so that no boundary falls inside it.
    with LocalExchange(mirror, NOW, weight_limit=20, weight_window_seconds=10**7) as exchange:
        used = []
        for limit in (50, 200, 1000):
            answer = klines(exchange, interval="1m", startTime=ms(MARCH_1), limit=limit)
            used.append(int(answer.headers["X-MBX-USED-WEIGHT-1M"]))
        answer = klines(exchange, "um", interval="1m", startTime=ms(MARCH_1), limit=1200)
        assert used == [1, 3, 8]  # weights 1, 2, 5
        assert answer.status == 200 and answer.headers["X-MBX-USED-WEIGHT-1M"] == "18"  # +10
        refused = klines(exchange, interval="1m", limit=1000)  # 18 + 5 > 20
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["code"] == -1003
        assert klines(exchange, interval="1m", limit=2).status == 200  # 19 still fits


def test_exchange_info_and_time(exchange):
    info = get(f"{exchange.url}/api/v3/exchangeInfo").json()
    by_symbol = {entry["symbol"]: entry for entry in info["symbols"]}
    assert set(by_symbol) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert (by_symbol["SOLUSDT"]["baseAsset"], by_symbol["SOLUSDT"]["quoteAsset"]) == (
        "SOL",
        "USDT",
    )
    futures = get(f"{exchange.url}/fapi/v1/exchangeInfo").json()
    assert {entry["contractType"] for entry in futures["symbols"]} == {"PERPETUAL"}
    assert get(f"{exchange.url}/api/v3/time").json() == {"serverTime": ms(NOW)}
    assert get(f"{exchange.url}/fapi/v1/ping").json() == {}
    assert get(f"{exchange.url}/api/v3/nothing").status == 404


# --- faults ------------------------------------------------------------------------------------


def test_status_faults_apply_to_the_next_matching_requests(exchange):
    exchange.faults.add("rate_limit", path_contains="symbol=BTCUSDT", times=2, retry_after=7)
    other = get(f"{exchange.url}/api/v3/klines?symbol=ETHUSDT&interval=1d&limit=1")
    assert other.status == 200  # does not match
    for _ in range(2):
        answer = klines(exchange, interval="1d", limit=1)
        assert (answer.status, answer.headers["Retry-After"]) == (429, "7")
        assert answer.json()["code"] == -1003
    assert klines(exchange, interval="1d", limit=1).status == 200
    exchange.faults.add("ban", retry_after=300)
    banned = klines(exchange, interval="1d", limit=1)
    assert (banned.status, banned.headers["Retry-After"]) == (418, "300")
    assert "banned" in banned.json()["msg"]
    exchange.faults.add("server_error")
    assert klines(exchange, interval="1d", limit=1).status == 503
    assert [status for _, _, status in exchange.requests] == [200, 429, 429, 200, 418, 503]


def test_faults_are_switched_over_http(exchange):
    control = f"{exchange.url}/_control/faults"
    created = get(control, "POST", {"kind": "server_error", "path_contains": "/fapi/", "times": 2})
    assert created.status == 201
    assert get(control).json()[0]["kind"] == "server_error"
    assert klines(exchange, "spot", interval="1d", limit=1).status == 200
    assert klines(exchange, "um", interval="1d", limit=1).status == 503
    assert get(control, "DELETE").status == 204
    assert get(control).json() == []
    assert klines(exchange, "um", interval="1d", limit=1).status == 200
    assert get(control, "POST", {"kind": "earthquake"}).status == 400
    # Control requests stay out of the request log.
    assert [path.split("?")[0] for _, path, _ in exchange.requests] == [
        "/api/v3/klines",
        "/fapi/v1/klines",
        "/fapi/v1/klines",
    ]


def test_truncated_body_breaks_the_transfer(exchange, mirror):
    """Headers promise the full length, half the body comes, the connection closes."""
    exchange.faults.add("truncate", path_contains=SPOT_DAY)
    host, port = exchange.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", f"/{SPOT_DAY}")
    response = connection.getresponse()
    full = (mirror / SPOT_DAY).read_bytes()
    assert response.status == 200 and response.headers["Content-Length"] == str(len(full))
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert cut.value.partial == full[: len(full) // 2]
    connection.close()


def test_archive_reader_retries_a_truncated_download(exchange, mirror, monkeypatch):
    """dlt's client retries a body cut short (requests raises ChunkedEncodingError)."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    exchange.faults.add("truncate", path_contains=SPOT_DAY)
    reader = ArchiveReader(exchange.url)
    assert reader.fetch(SPOT_DAY) == (mirror / SPOT_DAY).read_bytes()
    assert exchange.requests == [("GET", f"/{SPOT_DAY}", 200)] * 2
    # Truncated on every attempt: the reader gives up with an error naming the file.
    exchange.faults.add("truncate", path_contains=SPOT_DAY, times=2)
    with pytest.raises(ArchiveError, match=r"BTCUSDT-1m-2025-03-01\.zip"):
        reader.fetch(SPOT_DAY)


def test_bad_checksum_is_served_for_checksum_files_only(exchange, mirror):
    exchange.faults.add("bad_checksum")
    zip_content = get(f"{exchange.url}/{SPOT_DAY}").body  # a zip: not affected
    assert zip_content == (mirror / SPOT_DAY).read_bytes()
    body = get(f"{exchange.url}/{SPOT_DAY}.CHECKSUM").body
    stated, name = body.decode().split()
    assert name == Path(SPOT_DAY).name
    assert stated != hashlib.sha256(zip_content).hexdigest()
    with pytest.raises(ArchiveError, match="checksum mismatch"):
        verify_checksum(zip_content, body, SPOT_DAY)
    good = get(f"{exchange.url}/{SPOT_DAY}.CHECKSUM").body  # the fault applied once
    verify_checksum(zip_content, good, SPOT_DAY)


def test_disconnect_and_slow_faults(exchange):
    exchange.faults.add("disconnect")
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        urllib.request.urlopen(f"{exchange.url}/api/v3/time", timeout=10)
    exchange.faults.add("slow", delay_seconds=0.3)
    started = datetime.now(UTC)
    assert get(f"{exchange.url}/api/v3/time").status == 200
    assert datetime.now(UTC) - started >= timedelta(seconds=0.3)
    assert [status for _, _, status in exchange.requests] == [0, 200]


def test_unknown_fault_kind_is_refused(exchange):
    with pytest.raises(ValueError, match="unknown fault"):
        exchange.faults.add("earthquake")


# --- command line ------------------------------------------------------------------------------


def test_command_line_runs_in_the_foreground(mirror):
    arguments = ("--mirror", str(mirror), "--now", "2025-03-03T12:00:00Z")
    with stand_in_from_command_line("demo.exchange", *arguments) as url:
        assert get(f"{url}/api/v3/time").json() == {"serverTime": 1741003200000}
        assert get(f"{url}/_control/faults", "POST", {"kind": "ban"}).status == 201
        assert get(f"{url}/api/v3/time").status == 418
        assert get(f"{url}/{SPOT_DAY}").body == (mirror / SPOT_DAY).read_bytes()
