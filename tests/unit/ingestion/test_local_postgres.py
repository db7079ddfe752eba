"""The local Postgres of ``WAREHOUSE=postgres`` (no ``POSTGRES_HOST``) stops when the last run
holding it exits, also after a run was killed with SIGKILL."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from support.environment import PROJECT_ROOT

HOLD_THE_SERVER = """
import os, signal, sys
from ingestion.local_postgres import ensure_local_postgres
ensure_local_postgres()
if sys.argv[1] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def servers_of(folder: Path) -> list[psutil.Process]:
    """The running postgres processes of the data folder ``folder``."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(folder) in (process.info["cmdline"] or []):
            found.append(process)
    return found


def hold_the_server(data: Path, ending: str) -> int:
    """A run's hold on the local Postgres, in a process that ends as ``ending`` says."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("POSTGRES_")
    }
    environment.update(WAREHOUSE="postgres", TRIBUTARY_DATA_DIR=str(data))
    finished = subprocess.run(
        [sys.executable, "-c", HOLD_THE_SERVER, ending],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return finished.returncode


@pytest.mark.postgres
def test_the_server_stops_after_the_last_run_even_when_an_earlier_one_was_killed(tmp_path):
    try:
        assert hold_the_server(tmp_path, "killed") == -signal.SIGKILL
        assert servers_of(tmp_path / "postgres"), "the killed run's server is left to the next"
        assert hold_the_server(tmp_path, "exits") == 0
        assert servers_of(tmp_path / "postgres") == []
    finally:
        for server in servers_of(tmp_path / "postgres"):  # a failed test leaves none running
            server.kill()
