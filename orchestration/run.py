"""Build the whole warehouse through Dagster, then say what was built and where things are.

``python -m orchestration.run``

This is ``make run``. It checks the settings, the warehouse and the endpoints first
(:func:`orchestration.messages.check_before_run`), so a typo or a locked DuckDB file fails in
seconds with a message saying what to do and no traceback. The run is recorded in the project's
Dagster instance (``data/dagster``), so ``make ui`` shows it afterwards.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

from ingestion.warehouse import (
    PostgresSettings,
    data_dir,
    duckdb_path,
    ensure_local_postgres,
    warehouse_kind,
)
from orchestration.bi_copy import bi_duckdb_path, bi_parquet_dir, bi_reader_role
from orchestration.build import BUILD_WAREHOUSE_JOB, build_definitions
from orchestration.dbt_assets import DBT_PROJECT_DIR
from orchestration.environment import (
    apply_local_defaults,
    git_switched_off,
    prepare_dagster_home,
    switched_off,
    uses_demo_repositories,
    uses_local_exchange,
    uses_local_github,
)
from orchestration.messages import check_before_run, guidance, guidance_for_text
from orchestration.summary import data_quality_findings, quarantined_files, table_row_counts

USER_ERROR_EXIT = 2
"""Exit status of a run stopped by something the user can fix (1: the build itself failed)."""


def honour_interrupts() -> None:
    """Let SIGINT and SIGTERM stop this process, even when it was started in the background.

    A non-interactive shell starts background commands with SIGINT ignored. Dagster, around each
    run, points SIGTERM at whatever handles SIGINT, so such a process would ignore SIGTERM too,
    and so would every process it starts afterwards (an ignored signal is inherited). Python's
    own SIGINT handler (KeyboardInterrupt) keeps both working.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def warehouse_location() -> str:
    if warehouse_kind() == "duckdb":
        return f"DuckDB file {duckdb_path()}"
    settings = PostgresSettings.from_env()
    return f"Postgres database {settings.database!r} at {settings.host} (port {settings.port})"


def locations() -> list[tuple[str, str]]:
    """Where things are after a run, as ``(label, where)`` lines of the summary."""
    dagster_home = os.environ.get("DAGSTER_HOME", str(data_dir() / "dagster"))
    return [
        ("where", warehouse_location()),
        ("dagster", f"instance {dagster_home} (runs, their logs, the asset catalog)"),
        ("logs", f"dbt {DBT_PROJECT_DIR / 'logs' / 'dbt.log'}; dlt state {data_dir() / 'dlt'}"),
        ("bi", bi_location()),
        (
            "ui",
            "`make ui` opens Dagster at http://127.0.0.1:3000 (this run is there; schedules "
            "are stopped until you switch them on under Automation)",
        ),
        ("docs", "`make docs` serves the dbt docs at http://127.0.0.1:8080"),
    ]


def bi_location() -> str:
    """Where BI tools connect: the read-only copy (DuckDB) or the reader role (Postgres)."""
    if warehouse_kind() == "duckdb":
        return f"read-only copy for BI tools {bi_duckdb_path()}; Parquet in {bi_parquet_dir()}"
    return f"BI tools connect as role {bi_reader_role() or '(none: BI_READER_ROLE is empty)'}"


def print_locations() -> None:
    rows = locations()
    width = max(len(label) for label, _ in rows) + 1
    for label, where in rows:
        print(f"  {label + ':':<{width}}  {where}")


def starting_line() -> str:
    """One line saying what the run builds, from what, and into which warehouse."""
    exchange = "local demo exchange" if uses_local_exchange() else "configured exchange"
    if switched_off("sources.exchange.symbols"):
        exchange = "no exchange symbols (switched off)"
    git = "this checkout + demo repository" if uses_demo_repositories() else "your repositories"
    if git_switched_off():
        git = "no git repositories (switched off)"
    github = "local demo GitHub" if uses_local_github() else "your GitHub"
    if switched_off("sources.github.repositories"):
        github = "no GitHub (switched off)"
    return (
        f"starting: load {exchange}, {git}, {github}; then dbt build; into "
        f"{warehouse_location()} (Dagster instance {os.environ['DAGSTER_HOME']})"
    )


def build_warehouse(instance: DagsterInstance) -> ExecuteInProcessResult:
    """Materialize every asset (loads, then ``dbt build``) in this process, into ``instance``."""
    apply_local_defaults()
    ensure_local_postgres()
    # build_definitions() parses the dbt project first when a dbt file or setting changed.
    job = build_definitions().resolve_job_def(BUILD_WAREHOUSE_JOB)
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )


def report_failure(result: ExecuteInProcessResult, seconds: float) -> None:
    """Each failed step with its error and, for errors a user can fix, what to do."""
    print(f"\nThe warehouse build failed after {seconds:.0f} s:", file=sys.stderr)
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "no error message"
            print(f"  - step {event.step_key}: {message}", file=sys.stderr)
            chain = []
            while error is not None:
                chain.append(error.message)
                error = error.cause or error.context
            advice = guidance_for_text("\n".join(chain))
            if advice:
                print(f"    what to do: {advice}", file=sys.stderr)
    print("Run `make ui` to see the run's full logs in Dagster.", file=sys.stderr)


def print_summary(seconds: float) -> None:
    counts = table_row_counts()
    width = max(map(len, counts), default=0)
    print(f"\nTributary warehouse built on {warehouse_kind()} in {seconds:.0f} s")
    for table, rows in counts.items():
        print(f"  {table:<{width}}  {rows:>12,} rows")
    for status, heading in (("empty", "empty:  "), ("warn", "suspect:")):
        findings = data_quality_findings(status)
        if findings:
            print(f"  {heading}  (marts.fct_engineering_data_quality says why)")
            for repository, check, reason in findings:
                print(f"          {repository} {check}: {reason}")
    quarantined = quarantined_files()
    if quarantined:
        print(
            f"  quarantined: {len(quarantined)} archive file(s) have rejected lines "
            "(each line with its reason in marts.fct_rejected_rows):"
        )
        for file in quarantined:
            print(f"          {file.describe()}")
    print_locations()


def main() -> int:
    started = time.monotonic()
    honour_interrupts()
    try:
        apply_local_defaults()
        check_before_run()
        prepare_dagster_home()
        print(starting_line(), flush=True)
        with DagsterInstance.get() as instance:
            result = build_warehouse(instance)
    except KeyboardInterrupt:
        print("\nStopped. Loads commit their progress with the data: run again to go on.")
        return 130
    except Exception as error:
        advice = guidance(error)
        if advice is None:
            raise
        print(f"make run stopped: {advice}", file=sys.stderr)
        return USER_ERROR_EXIT
    seconds = time.monotonic() - started
    if not result.success:
        report_failure(result, seconds)
        return 1
    print_summary(seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
