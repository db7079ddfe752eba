"""A private Postgres under the data folder, for ``WAREHOUSE=postgres`` with no server set.

With ``WAREHOUSE=postgres`` and no ``POSTGRES_HOST``, :func:`ensure_local_postgres` starts one
with pgserver (Postgres 16 on a Unix socket, in under a second) and points the ``POSTGRES_*``
variables at it, so a fresh machine needs no set-up.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import psutil

from ingestion.warehouse import data_dir, warehouse_kind

_local_postgres: list[Any] = []
"""Handle of the pgserver this process started, kept so that the server outlives the call."""


def ensure_local_postgres() -> None:
    """With ``WAREHOUSE=postgres`` and no ``POSTGRES_HOST``, start the local server once."""
    if warehouse_kind() == "postgres" and not os.environ.get("POSTGRES_HOST"):
        _local_postgres.append(start_local_postgres())


def start_local_postgres() -> Any:
    """Start (or reuse) a Postgres under ``<data>/postgres``; point the environment at it.

    Returns the pgserver handle; the server stops when the last process holding one exits.
    """
    folder = data_dir() / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR (cron, CI,
        # containers) that says so on every run, and /tmp serves as well.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver
        from pgserver.postgres_server import PostgresServer

        with PostgresServer._lock:  # the lock pgserver takes to count handles
            forget_killed_holders(folder)
            forget_stale_postmaster(folder)
        server = pgserver.get_server(folder)
    info = server.get_postmaster_info()
    os.environ.update(
        POSTGRES_HOST=str(info.socket_dir),
        POSTGRES_PORT=str(info.port or 5432),
        POSTGRES_USER="postgres",
        POSTGRES_PASSWORD="",
        POSTGRES_DB="postgres",
    )
    return server


HANDLES_FILE = ".handle_pids.json"
"""Where pgserver lists the processes holding a handle on the server in a folder; the last one
to exit stops the server."""


def forget_killed_holders(folder: Path) -> None:
    """Drop from pgserver's list the processes that no longer run.

    A process killed with SIGKILL (a ``make run`` stopped hard) never takes itself off the list,
    so no later process would ever be the last one and the server would run until the machine
    stops. Call it holding pgserver's lock."""
    handles = folder / HANDLES_FILE
    try:
        holders = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    running = [pid for pid in holders if psutil.pid_exists(pid)]
    if running != holders:
        handles.write_text(json.dumps(running))


POSTMASTER_FILE = "postmaster.pid"
"""Postgres's lock file in the data folder, the server's pid on its first line."""


def forget_stale_postmaster(folder: Path) -> None:
    """Remove ``postmaster.pid`` when the process with its pid is not this folder's server.

    A server killed with its run (SIGKILL to the process group) leaves the file behind, and its
    pid can belong to another process by the next run (pid numbers wrap, at 32768 on many
    machines). pgserver takes any live process with that pid for the server, reuses it instead
    of starting one, and on exit runs ``pg_ctl stop``, which signals that pid: another program,
    or another data folder's Postgres. Call it holding pgserver's lock."""
    postmaster = folder / POSTMASTER_FILE
    try:
        pid = int(postmaster.read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        process = psutil.Process(pid)
        if process.name() == "postgres" and str(folder.resolve()) in process.cmdline():
            return  # this folder's server (pg_ctl starts it with -D <folder>)
    except psutil.Error:
        pass
    postmaster.unlink(missing_ok=True)
