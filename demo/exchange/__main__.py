"""Run the local exchange in the foreground::

    python -m demo.exchange --mirror data/mirror --now 2025-03-03T12:00:00Z --port 8765

It serves the mirror folder (``python -m demo.exchange.mirror`` writes one) and the REST API with
its clock at ``--now``; faults are switched through ``POST /_control/faults``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from demo.exchange.candles import DEFAULT_MAINTENANCE
from demo.exchange.server import LocalExchange
from ingestion.exchange.defaults import DEFAULT_SYMBOLS


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="A local Binance on 127.0.0.1: the public archive, the REST klines API and "
        "switchable faults."
    )
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
        f"default {DEFAULT_MAINTENANCE[0]}",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    exchange = LocalExchange(
        args.mirror,
        args.now,
        host=args.host,
        port=args.port,
        maintenance=args.maintenance or DEFAULT_MAINTENANCE,
        symbols=args.symbols.split(","),
        weight_limit=args.weight_limit,
    )
    exchange.serve_in_foreground(f"local exchange serving {args.mirror}")


if __name__ == "__main__":
    main()
