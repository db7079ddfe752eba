"""A demo stand-in (the local exchange, the local GitHub) run from the command line, as
``python -m demo.<stand-in>`` runs it in the foreground."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from support.environment import PROJECT_ROOT


@contextmanager
def stand_in_from_command_line(module: str, *arguments: str) -> Iterator[str]:
    """Run ``python -m <module> <arguments> --port 0`` from the project root and yield the URL
    its first line announces; terminate it on leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments, "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:"), line
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
