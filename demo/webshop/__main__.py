"""Write the demo repository and its GitHub world (kept when current)::

python -m demo.webshop --root data/demo
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from demo.webshop.world import write_demo_world


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write the demo repository webshop and its GitHub world."
    )
    parser.add_argument("--root", type=Path, required=True, help="folder to write the world into")
    parser.add_argument("--overwrite", action="store_true", help="rebuild even when current")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = write_demo_world(args.root, overwrite=args.overwrite)
    elapsed = time.perf_counter() - started
    print(f"demo world: {world.repository_path} and {world.world_path} ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
