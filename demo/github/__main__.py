"""Run the local GitHub in the foreground::

    python -m demo.github --world data/demo/webshop.github.json --port 8766

``python -m demo.webshop --root data/demo`` writes that world; faults are switched through
``POST /_control/faults``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from demo.github.server import LocalGitHub


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="A local GitHub REST API on 127.0.0.1, serving a world of repositories "
        "from JSON."
    )
    parser.add_argument("--world", type=Path, required=True, help="world JSON file to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="require this token (default: none)")
    parser.add_argument("--rate-limit", type=int, default=5000, help="requests per window")
    parser.add_argument("--rate-limit-window", type=float, default=3600.0, help="seconds")
    args = parser.parse_args(None if argv is None else list(argv))
    github = LocalGitHub(
        args.world,
        args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_limit_window_seconds=args.rate_limit_window,
    )
    github.serve_in_foreground(f"local GitHub serving {args.world}")


if __name__ == "__main__":
    main()
