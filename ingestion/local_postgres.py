"""A private Postgres under the data folder, for ``WAREHOUSE=postgres`` with no server set.

With ``WAREHOUSE=postgres`` and no ``POSTGRES_HOST``, :func:`ensure_local_postgres` starts one
with pgserver (Postgres 16 on a Unix socket, in under a second) and points the ``POSTGRES_*``
variables at it, so a fresh machine needs no set-up.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

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
