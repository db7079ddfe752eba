"""Build the whole warehouse through Dagster, then say what was built and where things are.

``python -m orchestration.run``

This is ``make run``. It checks the settings, the warehouse and the endpoints first
(:func:`orchestration.preflight.check_before_run`), so a typo or a locked DuckDB file fails in
seconds with a message saying what to do and no traceback. The run is recorded in the project's
Dagster instance (``data/dagster``), so ``make ui`` shows it afterwards.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from functools import partial

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from ingestion.exchange.settings import exchange_settings
from ingestion.git.settings import git_settings
from ingestion.github.settings import github_settings
from ingestion.local_postgres import ensure_local_postgres
from ingestion.warehouse import PostgresSettings, data_dir, duckdb_path, warehouse_kind
from orchestration.assembly import assemble_definitions
from orchestration.bi_copy import bi_duckdb_path, bi_parquet_dir
from orchestration.bi_reader_role import bi_reader_role
from orchestration.dbt_assets import KEPT_INVOCATIONS, dbt_target_dir
from orchestration.environment import (
    apply_local_defaults,
    exchange_switched_off,
    git_switched_off,
    github_switched_off,
    prepare_dagster_home,
    uses_demo_repositories,
    uses_local_exchange,
    uses_local_github,
)
from orchestration.guidance import guidance
from orchestration.jobs import BUILD_WAREHOUSE_JOB
from orchestration.preflight import check_before_run
from orchestration.run_outcome import (
    buildable_after_failure,
    stale_assets,
    step_failures,
    was_interrupted,
)
from orchestration.stale_runs import announce_released_runs, process_tags, runs_in_progress
from orchestration.summary import data_quality_findings, quarantined_files, table_row_counts

USER_ERROR_EXIT = 2
"""Exit status of a run stopped by something the user can fix (1: the build itself failed)."""
WAIT_POLL_SECONDS = 2.0
"""How often a run waiting for another one checks whether it has ended."""


def honour_interrupts() -> None:
    """Let SIGINT and SIGTERM stop this process, even when it was started in the background.

    A non-interactive shell starts background commands with SIGINT ignored. Dagster, around each
    run, points SIGTERM at whatever handles SIGINT, so such a process would ignore SIGTERM too,
    and so would every process it starts afterwards (an ignored signal is inherited). Python's
    own SIGINT handler (KeyboardInterrupt) keeps both working; SIGTERM gets it from the start,
    so that a run stopped before Dagster starts also says so and exits with 130.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGINT))


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
        (
            "logs",
            f"dbt {dbt_target_dir() / 'dbt_models*' / 'dbt.log'} (a folder per dbt step, the "
            f"newest {KEPT_INVOCATIONS} kept); dlt state {data_dir() / 'dlt'}",
        ),
        ("bi", bi_location()),
        (
            "ui",
            f"`make ui` opens Dagster at http://127.0.0.1:{os.environ.get('DAGSTER_PORT', '3000')}"
            " (this run is there; schedules are stopped until you switch them on under "
            "Automation)",
        ),
        (
            "docs",
            "`make docs` serves the dbt docs at "
            f"http://127.0.0.1:{os.environ.get('DBT_DOCS_PORT', '8080')}",
        ),
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
    exchange_set, git_set, github_set = exchange_settings(), git_settings(), github_settings()
    exchange = "local demo exchange" if uses_local_exchange(exchange_set) else "configured exchange"
    if exchange_switched_off(exchange_set):
        exchange = "no exchange symbols (switched off)"
    git = (
        "this checkout + demo repository"
        if uses_demo_repositories(git_set)
        else "your repositories"
    )
    if git_switched_off(git_set):
        git = "no git repositories (switched off)"
    github = "local demo GitHub" if uses_local_github(github_set) else "your GitHub"
    if github_switched_off(github_set):
        github = "no GitHub (switched off)"
    return (
        f"starting: load {exchange}, {git}, {github}; then dbt build; into "
        f"{warehouse_location()} (Dagster instance {os.environ['DAGSTER_HOME']})"
    )


@dataclass(frozen=True)
class WarehouseRuns:
    """The runs of one ``make run``: the ``build_warehouse`` job, and the rest after a failed
    step."""

    definitions: Definitions
    results: list[ExecuteInProcessResult]

    @property
    def success(self) -> bool:
        return all(result.success for result in self.results)


def materialize_warehouse(instance: DagsterInstance) -> WarehouseRuns:
    """Run the ``build_warehouse`` job: materialize every asset (loads, then ``dbt build``) in
    this process, into ``instance``.

    When a step fails, a second run builds what does not depend on it
    (:func:`orchestration.run_outcome.buildable_after_failure`).
    """
    apply_local_defaults()
    ensure_local_postgres()
    # assemble_definitions() parses the dbt project first when a dbt file or setting changed.
    definitions = assemble_definitions()
    job = definitions.resolve_job_def(BUILD_WAREHOUSE_JOB)
    run = partial(
        job.execute_in_process,
        instance=instance,
        raise_on_error=False,
        tags=process_tags(),
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    results = [run()]
    rest = buildable_after_failure(definitions, results[0])
    if rest:
        print(
            f"building the {len(rest)} assets that do not depend on the failed step(s)...",
            flush=True,
        )
        results.append(run(asset_selection=rest))
    return WarehouseRuns(definitions, results)


def recover_from_stopped_runs(instance: DagsterInstance) -> None:
    """Release runs a kill left behind (they would hold the warehouse pool for ever), and wait,
    saying so, while another run is writing the warehouse.

    The wait is here rather than in Dagster's queue for the pool slot, which neither says
    what it waits for nor lets Ctrl+C or SIGTERM stop it.
    """
    announce_released_runs(instance)
    running = runs_in_progress(instance)
    if not running:
        return
    print(
        f"waiting: {'; '.join(running)} writes the warehouse now; this run starts when it ends "
        "(Ctrl+C stops waiting)",
        flush=True,
    )
    while running:
        time.sleep(WAIT_POLL_SECONDS)
        announce_released_runs(instance)
        running = runs_in_progress(instance)


def report_failure(runs: WarehouseRuns, seconds: float) -> None:
    """Each failed step with its own cause and, when a user can act, what to do; then what is
    stale. Printed last, so that it is what a user reads."""
    print(f"\nThe warehouse build failed after {seconds:.0f} s:", file=sys.stderr)
    results = runs.results
    for failure in step_failures(results):
        cause = failure.cause.replace("\n", "\n      ")
        print(f"  - {failure.step}: {cause}", file=sys.stderr)
        if failure.advice:
            print(f"    what to do: {failure.advice}", file=sys.stderr)
    stale = [key.to_user_string() for key in stale_assets(runs.definitions, results)]
    marts = [name.removeprefix("marts/") for name in stale if name.startswith("marts/")]
    if stale:
        others = len(stale) - len(marts)
        print(
            f"  stale (not rebuilt, they keep their last build): {len(marts)} mart(s)"
            + (f": {', '.join(marts)}" if marts else "")
            + (f"; and {others} other asset(s) upstream of them" if others else ""),
            file=sys.stderr,
        )
    if len(results) > 1 and results[-1].success:
        print("  everything else was built and published.", file=sys.stderr)
    print("Run `make ui` to see the run's full logs in Dagster.", file=sys.stderr)


def print_summary(seconds: float, heading: str = "") -> None:
    counts = table_row_counts()
    width = max(map(len, counts), default=0)
    heading = heading or f"Tributary warehouse built on {warehouse_kind()}"
    print(f"\n{heading} in {seconds:.0f} s")
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
        ensure_local_postgres()  # before the starting line, which names the server
        prepare_dagster_home()
        print(starting_line(), flush=True)
        with DagsterInstance.get() as instance:
            recover_from_stopped_runs(instance)
            runs = materialize_warehouse(instance)
        if was_interrupted(runs.results[-1]):
            raise KeyboardInterrupt
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
    if runs.success:
        print_summary(seconds)
        return 0
    print_summary(seconds, heading=f"Tributary warehouse partly built on {warehouse_kind()}")
    report_failure(runs, seconds)
    return 1


if __name__ == "__main__":
    sys.exit(main())
