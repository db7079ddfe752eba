"""What became of the archive files of a run: each file's outcome, its rejected lines, and the
files the run must fail on once everything else has loaded.

A file that cannot be loaded (a checksum mismatch, an unreadable zip) is ``rejected`` and the
run goes on with the others; a file whose lines are rejected beyond
``max_rejected_fraction`` still loads its good lines. :class:`RejectedFiles` collects both, and
fails the run at the end naming each file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from ingestion.exchange.layout import ArchiveFile


class ArchiveError(Exception):
    """A file of the archive that cannot be loaded; the message names the file."""


@dataclass(frozen=True)
class RejectedRow:
    """A CSV line that could not be parsed or holds an impossible row, kept with the reason
    instead of being dropped."""

    line_number: int
    raw_line: str
    reason: str


@dataclass
class FileOutcome:
    """What happened to one archive file in a run."""

    file: ArchiveFile
    location: str
    status: str
    """``not_published``, ``unchanged``, ``loaded`` or ``rejected``."""
    checksum: str | None = None
    size_bytes: int | None = None
    table: pa.Table | None = None
    """The file's rows in the raw table's schema, when loaded."""
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    error: str | None = None


MAX_REJECTED_FRACTION = 0.001
"""Default share of a file's lines that may be rejected before the run fails."""


MAX_REJECTED_FRACTION_VARIABLE = "SOURCES__EXCHANGE__MAX_REJECTED_FRACTION"


@dataclass
class RejectedFiles:
    """What a run must fail on once everything else has loaded: archive files it could not load
    (``errors``) and files with more rejected lines than allowed (``over_threshold``: their
    good lines did load). Each entry is one line naming the file and the reason."""

    errors: list[str] = field(default_factory=list)
    over_threshold: list[str] = field(default_factory=list)

    def raise_if_any(self) -> None:
        parts = []
        if self.errors:
            details = "\n".join(f"  - {error}" for error in self.errors)
            parts.append(
                f"{len(self.errors)} archive file(s) rejected; every other file was loaded:\n"
                f"{details}"
            )
        if self.over_threshold:
            details = "\n".join(f"  - {error}" for error in self.over_threshold)
            parts.append(
                f"{len(self.over_threshold)} archive file(s) with too many rejected lines "
                f"(their other lines were loaded):\n{details}"
            )
        if parts:
            raise ArchiveError("\n".join(parts))


def rejection_category(reason: str) -> str:
    """A rejection reason without the offending value: ``high is not a number: 'n/a'`` ->
    ``high is not a number`` (the marts group reasons the same way)."""
    return reason.split(": ", 1)[0]


def over_threshold_message(outcome: FileOutcome, max_fraction: float) -> str | None:
    """One line naming a loaded file whose rejected lines exceed ``max_fraction`` of its lines,
    with how many and why; None when within."""
    rejected = len(outcome.rejected_rows)
    loaded = outcome.table.num_rows if outcome.table is not None else 0
    lines = rejected + loaded
    if not rejected or rejected <= max_fraction * lines:
        return None
    reasons = Counter(rejection_category(row.reason) for row in outcome.rejected_rows)
    commonest = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
    top = ", ".join(f"{reason} ({count:,})" for reason, count in commonest)
    more = f" and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    return (
        f"{outcome.location}: {rejected:,} of {lines:,} lines rejected ({rejected / lines:.2%}), "
        f"more than {MAX_REJECTED_FRACTION_VARIABLE}={max_fraction:g} allows: {top}{more}; "
        f"the {loaded:,} other lines were loaded, the rejected ones are in "
        "raw_exchange.rejected_rows"
    )
