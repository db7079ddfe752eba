"""A local Binance on 127.0.0.1: the public archive, the REST klines API and switchable faults.

One threaded HTTP server stands in for both Binance hosts the source talks to, so the demo run and
the tests exercise the same code paths as against the real exchange:

- the archive (``data.binance.vision``): ``GET /data/...`` serves the files of a local mirror
  (``python -m demo.exchange.mirror``), zips and ``.CHECKSUM`` files, 404 when absent;
- REST (``data-api.binance.vision`` / ``fapi.binance.com``): ``/api/v3/klines`` and
  ``/fapi/v1/klines`` in Binance's formats, limits, error bodies and ``X-MBX-USED-WEIGHT-1M``
  accounting, plus the ``exchangeInfo``, ``time`` and ``ping`` endpoints ccxt's ``binance``
  needs (:mod:`demo.exchange.binance_api`). Candles come from the mirror's generator, so REST and
  archive agree minute by minute (:mod:`demo.exchange.klines`); the exchange's clock stands
  still at ``now``;
- faults (:mod:`demo.exchange.faults`), switched from Python (``exchange.faults.add("rate_limit")``)
  or from another process (``POST /_control/faults`` with a JSON body of the same fields,
  ``DELETE /_control/faults``).

Run it in the foreground with ``python -m demo.exchange``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from demo.exchange import binance_api
from demo.exchange.candles import DEFAULT_MAINTENANCE
from demo.exchange.faults import Fault, Faults
from demo.exchange.klines import DEFAULT_LISTED_FROM, CandleBook
from demo.http_server import LocalServer, OwnedServer, StandInHandler, query_params
from ingestion.exchange.defaults import DEFAULT_SYMBOLS


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
        maintenance: Sequence[str] = DEFAULT_MAINTENANCE,
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

    # --- archive ---

    def archive_file(self, path: str) -> bytes | None:
        """A mirror file, or None when absent (or outside the mirror)."""
        root = self.mirror_root.resolve()
        file = (root / path.lstrip("/")).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            return None
        return file.read_bytes()


class _Server(OwnedServer):
    owner: LocalExchange


class _Handler(StandInHandler):
    server: _Server
    server_version = "tributary-local-exchange"

    def serve(self, method: str, path: str, target: str, fault: Fault | None) -> None:
        exchange = self.server.owner
        if fault is not None:
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
        market = binance_api.MARKETS.get(prefix)
        if market is None:
            self.send(404, b"not found\n", "text/plain")
            return
        params = query_params(target)
        try:
            if endpoint == "klines":
                rows, weight = binance_api.klines(
                    exchange.candles, exchange.symbols, market, params, exchange.now_ms
                )
                self._api(rows, weight)
            elif endpoint == "exchangeInfo":
                info = binance_api.exchange_info(
                    exchange.symbols, market, exchange.weight_limit, exchange.now_ms
                )
                self._api(info, 20 if market == "spot" else 1)
            elif endpoint == "time":
                self._api({"serverTime": exchange.now_ms}, 1)
            elif endpoint == "ping":
                self._api({}, 1)
            else:
                self.send(404, b"not found\n", "text/plain")
        except binance_api.BinanceError as error:
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
