"""Errors a user can cause, turned into what to do.

:func:`guidance` turns the errors a user can cause (a bad setting, an unreachable endpoint, a
locked DuckDB file, Postgres refusing the connection, a rejected archive file...) into one
paragraph that says what to do; ``make run`` and ``make ui`` print it without a traceback.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

from ingestion.duckdb_lock import duckdb_lock_message
from ingestion.errors import SettingError, WarehouseLockedError
from ingestion.exchange.outcomes import ArchiveError
from ingestion.git.commands import GitError
from ingestion.github.session import GitHubError
from ingestion.warehouse import DUCKDB_MEMORY_LIMIT, DuckDBSettings
from orchestration.preflight import EndpointUnreachableError, PostgresUnreachableError

LOCK_ERROR = re.compile(r'Could not set lock on file "(?P<path>[^"]+)"[^\n]*')
OUT_OF_MEMORY = "Out of Memory Error: "
"""How DuckDB's message begins when a query needs more than its memory limit."""
USER_ERRORS: tuple[type[BaseException], ...] = (
    SettingError,
    WarehouseLockedError,
    GitError,
    GitHubError,
    ArchiveError,
    EndpointUnreachableError,
    PostgresUnreachableError,
)
"""Errors whose message already names what is wrong and what to set or do."""


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and so on (dlt wraps source errors in its step errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "exception", None)  # dlt's PipelineStepFailed
        if isinstance(wrapped, BaseException) and id(wrapped) not in seen:
            current = wrapped
        else:
            current = current.__cause__ or current.__context__


def guidance_for_text(text: str) -> str | None:
    """Guidance for an error known only by its message (a failed Dagster step)."""
    locked = LOCK_ERROR.search(text)
    if locked:
        return duckdb_lock_message(Path(locked["path"]), locked[0])
    if OUT_OF_MEMORY in text:
        settings = DuckDBSettings.from_env()
        return (
            f"DuckDB ran out of memory under its limit of {settings.memory_limit} "
            f"(TRIBUTARY_DUCKDB_MEMORY_LIMIT, default {DUCKDB_MEMORY_LIMIT}): raise it, or give "
            f"the folder DuckDB spills to, {settings.temp_directory} "
            "(TRIBUTARY_DUCKDB_TEMP_DIRECTORY), room on its disk; then run again"
        )
    return None


def guidance(error: BaseException) -> str | None:
    """What to do about ``error`` when a user can fix it, else None (a bug: keep the trace)."""
    for cause in causes(error):
        if isinstance(cause, USER_ERRORS):
            return str(cause).strip()
        if isinstance(cause, ConfigValueCannotBeCoercedException):
            return (
                f"the setting {cause.field_name!r} has the value {cause.field_value!r}, which "
                f"is not a {getattr(cause.hint, '__name__', cause.hint)}: lists and objects "
                'are JSON, e.g. SOURCES__EXCHANGE__MARKETS=\'["spot","um"]\''
            )
        text = guidance_for_text(str(cause))
        if text:
            return text
    return None
