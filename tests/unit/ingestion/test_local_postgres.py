"""The local Postgres of ``WAREHOUSE=postgres`` (no ``POSTGRES_HOST``) stops when the last run
holding it exits, also after a run was killed with SIGKILL, and never signals a process that
took the pid of a killed server."""

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


@pytest.mark.postgres
def test_a_killed_servers_pid_taken_by_another_process_is_left_alone(tmp_path):
    """The server dies with a run killed hard; its pid then belongs to another process. The next
    run starts a server of its own, and stopping it never signals that process."""
    bystander = None
    try:
        assert hold_the_server(tmp_path, "killed") == -signal.SIGKILL
        for server in servers_of(tmp_path / "postgres"):  # the server dies with the run
            server.kill()
            server.wait(10)
        # Stand in for the process that took the pid: the lock file now names a live process.
        bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        postmaster = tmp_path / "postgres" / "postmaster.pid"
        lines = postmaster.read_text().splitlines()
        postmaster.write_text("\n".join([str(bystander.pid), *lines[1:]]) + "\n")

        assert hold_the_server(tmp_path, "exits") == 0
        assert bystander.poll() is None, "pg_ctl stop signalled the process with the old pid"
        assert servers_of(tmp_path / "postgres") == []
    finally:
        if bystander is not None:
            bystander.kill()
        for server in servers_of(tmp_path / "postgres"):
            server.kill()
