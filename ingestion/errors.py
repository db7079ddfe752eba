"""Errors a user causes and can fix: each message names what is wrong and what to do.

``make run`` prints them without a traceback (:mod:`orchestration.guidance`); the sources'
own errors (``ArchiveError``, ``GitError``, ``GitHubError``) work the same way.
"""


class SettingError(ValueError):
    """A setting that cannot work; the message names it and says what to set instead."""


class WarehouseConfigError(SettingError):
    """A warehouse setting that cannot work; the message says which and what to set."""


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file; the message names it and says what to do."""
