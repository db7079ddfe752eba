"""Who holds the DuckDB file, and what to do about it.

DuckDB lets one process write a file and no other process hold it meanwhile, not even
read-only. :func:`check_duckdb_writable` is the check a run makes before it loads;
:func:`duckdb_lock_message` turns DuckDB's own lock error into what to stop and where BI tools
and notebooks should look instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingestion.errors import WarehouseLockedError
from ingestion.warehouse import data_dir, duckdb_path

LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def describe_process(pid: int) -> str:
    """``process 123 (<command line>)`` as far as /proc tells, for lock messages."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"process {pid}"
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    if len(command) > 120:
        command = command[:117] + "..."
    return f"process {pid} ({command})" if command else f"process {pid}"


def duckdb_lock_message(path: Path, duckdb_error: str) -> str:
    """What to do when another process holds the DuckDB file, from DuckDB's own error."""
    holder = LOCK_HOLDER.search(duckdb_error)
    who = describe_process(int(holder["pid"])) if holder else "another process"
    kill = f" (`kill {holder['pid']}`)" if holder else ""
    return (
        f"the DuckDB file {path} is locked by {who}. DuckDB lets one process write a file, and "
        "no other process may hold it meanwhile, not even read-only. Stop that process"
        f"{kill}: close the notebook, SQL client or BI tool that has the file open, or stop "
        "`make ui` if it is running a job; point BI tools and notebooks at the read-only copy "
        f"under {data_dir() / 'bi'}/ instead. Then run again."
    )


def check_duckdb_writable(path: Path | None = None) -> None:
    """Raise :class:`WarehouseLockedError` when another process holds the DuckDB file.

    Opens (and closes at once) a write connection: the check a run makes before it loads.
    A file that does not exist yet is fine.
    """
    import duckdb

    path = path or duckdb_path()
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        raise WarehouseLockedError(duckdb_lock_message(path, str(error))) from None
