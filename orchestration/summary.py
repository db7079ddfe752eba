"""What a run left in the warehouse: tables of the raw and marts schemas with their row counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingestion.warehouse import warehouse_cursor, warehouse_kind

SUMMARY_SCHEMAS = ("raw_exchange", "raw_git", "raw_github", "marts")


def _placeholders(count: int) -> str:
    """Bound-parameter markers of the warehouse's DB-API driver."""
    return ", ".join(["%s" if warehouse_kind() == "postgres" else "?"] * count)


def _mart_exists(cursor: Any, table: str) -> bool:
    """Whether ``marts.<table>`` exists (a run whose build failed may not have made it)."""
    cursor.execute(
        "select count(*) from information_schema.tables "
        f"where table_schema = 'marts' and table_name = {_placeholders(1)}",
        [table],
    )
    return bool(cursor.fetchone()[0])


def table_row_counts(schemas: tuple[str, ...] = SUMMARY_SCHEMAS) -> dict[str, int]:
    """``{"schema.table": rows}`` for each base table of ``schemas`` (not dlt's own tables)."""
    placeholders = _placeholders(len(schemas))
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({placeholders}) and table_type = 'BASE TABLE' "
            "order by table_schema, table_name",
            list(schemas),
        )
        tables = [
            f"{schema}.{table}"
            for schema, table in cursor.fetchall()
            if not table.startswith("_dlt_")
        ]
        counts = {}
        for table in tables:
            cursor.execute(f"select count(*) from {table}")  # names come from the catalog
            counts[table] = int(cursor.fetchone()[0])
    return counts


def data_quality_findings(status: str) -> list[tuple[str, str, str]]:
    """``(repository, check, reason)`` for each engineering check with ``status``, from
    ``marts.fct_engineering_data_quality``: why a DORA figure or mart is empty (``empty``), or
    what looks wrong in it (``warn``: changes authored after their deployment, commits dated
    by a wrong clock)."""
    with warehouse_cursor() as cursor:
        if not _mart_exists(cursor, "fct_engineering_data_quality"):
            return []
        cursor.execute(
            "select repository, check_name, reason from marts.fct_engineering_data_quality "
            f"where status = {_placeholders(1)} order by repository, check_name",
            [status],
        )
        return [
            (str(repository), str(check), str(reason))
            for repository, check, reason in cursor.fetchall()
        ]


@dataclass(frozen=True)
class QuarantinedFile:
    """An archive file with current rejected lines: how many, of how many, and the commonest
    reasons (``(category, lines)``, most first)."""

    path: str
    rejected_lines: int
    file_lines: int | None
    top_reasons: list[tuple[str, int]]

    def describe(self) -> str:
        of = f" of {self.file_lines:,}" if self.file_lines else ""
        reasons = ", ".join(f"{reason} ({lines:,})" for reason, lines in self.top_reasons)
        return f"{self.path}: {self.rejected_lines:,}{of} lines rejected: {reasons}"


def quarantined_files(top: int = 3) -> list[QuarantinedFile]:
    """Archive files whose current version has quarantined lines (``marts.fct_rejected_rows``,
    superseded lines left out), most rejected lines first."""
    with warehouse_cursor() as cursor:
        if not _mart_exists(cursor, "fct_rejected_rows"):
            return []
        cursor.execute(
            "select source_file, rejection_category, count(*), max(file_line_count) "
            "from marts.fct_rejected_rows where not is_superseded "
            "group by source_file, rejection_category"
        )
        rows = cursor.fetchall()
    reasons: dict[str, list[tuple[str, int]]] = {}
    file_lines: dict[str, int] = {}
    for path, category, lines, line_count in rows:
        reasons.setdefault(str(path), []).append((str(category), int(lines)))
        if line_count is not None:
            file_lines[str(path)] = int(line_count)
    files = [
        QuarantinedFile(
            path,
            sum(lines for _, lines in by_reason),
            file_lines.get(path),
            sorted(by_reason, key=lambda reason: (-reason[1], reason[0]))[:top],
        )
        for path, by_reason in reasons.items()
    ]
    return sorted(files, key=lambda file: (-file.rejected_lines, file.path))
