"""The demo's stand-ins for one load: the local exchange over a freshly prepared archive mirror
and the local GitHub serving the demo repository's world.

:mod:`orchestration.environment` decides whether a source is pointed at the demo (no endpoint
configured) and only then imports this module; each function gives the arguments of a source,
pointing it at a stand-in that runs for the duration of the ``with`` block.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from demo import DEMO_NOW
from demo.exchange.binance_api import split_symbol
from demo.exchange.mirror import write_mirror
from demo.exchange.server import LocalExchange
from demo.github.server import LocalGitHub
from demo.webshop.world import DemoWorld

DEMO_CCXT_START_DATE = "2025-03-01"
"""The demo's ccxt feed covers the last few days (ccxt pages 1,000 candles per request)."""
DEMO_CCXT_SYMBOL = "BTCUSDT"
"""The symbol the demo's ccxt feed reads (as ``BTC/USDT``); the first configured one when the
configured symbols do not have it."""


def demo_ccxt_symbol(symbols: Sequence[str]) -> str | None:
    """The ccxt symbol (``BTC/USDT``) the demo's ccxt feed reads: BTCUSDT when configured, else
    the first configured symbol with a known quote asset; None when there is none."""
    for symbol in sorted(symbols, key=lambda symbol: symbol != DEMO_CCXT_SYMBOL):
        try:
            return "/".join(split_symbol(symbol))
        except ValueError:
            continue
    return None


@contextmanager
def local_exchange(
    mirror: Path,
    *,
    symbols: Sequence[str],
    start_date: str,
    markets: Sequence[str],
    intervals: Sequence[str],
    end_date: str | None,
    with_ccxt: bool,
) -> Iterator[dict[str, Any]]:
    """Arguments for ``exchange_source``: the URLs of a local exchange serving the archive mirror
    ``mirror`` as it stands at the demo's "now" (generated for these symbols, markets and
    intervals from ``start_date``; files that exist are kept: the generator is deterministic),
    loading up to ``end_date`` (default: the demo's "now"), and with ``with_ccxt`` a ccxt feed
    from the same exchange."""
    now = datetime.fromisoformat(DEMO_NOW)
    write_mirror(
        mirror,
        symbols=list(symbols),
        start=date.fromisoformat(start_date),
        now=now,
        markets=list(markets),
        intervals=list(intervals),
    )
    with LocalExchange(mirror, now=now, symbols=symbols) as exchange:
        endpoints: dict[str, Any] = {
            "archive_base_url": exchange.url,
            "spot_api_url": exchange.url,
            "usdm_api_url": exchange.url,
            "end_date": DEMO_NOW if end_date is None else end_date,
        }
        ccxt_symbol = demo_ccxt_symbol(symbols)
        if with_ccxt and ccxt_symbol:
            # ccxt's Binance US client, pointed at the local exchange (same API format), for
            # one of the configured symbols (it answers for those only).
            endpoints["ccxt_exchanges"] = {
                "binanceus": {
                    "symbols": [ccxt_symbol],
                    "start_date": max(DEMO_CCXT_START_DATE, start_date),
                    "config": exchange.ccxt_config(),
                }
            }
        yield endpoints


@contextmanager
def local_github(world: DemoWorld, repositories: Sequence[str] | None) -> Iterator[dict[str, Any]]:
    """Arguments for ``github_source``: a local GitHub serving the demo world, for
    ``repositories`` (by default the demo repository)."""
    with LocalGitHub(world.world_path) as github:
        yield {"base_url": github.url, "repositories": repositories or [world.full_name]}
