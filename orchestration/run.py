"""Build the whole warehouse through Dagster, then say what was built.

``python -m orchestration.run``

This is ``make run``. The run is recorded in the project's Dagster instance (``data/dagster``), so
``make ui`` shows it afterwards.
"""

from __future__ import annotations

import sys
import time

from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

from ingestion.warehouse import PostgresSettings, duckdb_path, ensure_local_postgres, warehouse_kind
from orchestration.build import BUILD_WAREHOUSE_JOB, build_definitions
from orchestration.dbt_assets import prepare_manifest, tributary_dbt_project
from orchestration.environment import apply_local_defaults, prepare_dagster_home
from orchestration.summary import empty_mart_reasons, table_row_counts


def warehouse_location() -> str:
    if warehouse_kind() == "duckdb":
        return f"DuckDB file {duckdb_path()}"
    settings = PostgresSettings.from_env()
    return f"Postgres database {settings.database!r} at {settings.host} (port {settings.port})"


def build_warehouse(instance: DagsterInstance) -> ExecuteInProcessResult:
    """Materialize every asset (loads, then ``dbt build``) in this process, into ``instance``."""
    apply_local_defaults()
    ensure_local_postgres()
    prepare_manifest(tributary_dbt_project())
    job = build_definitions().resolve_job_def(BUILD_WAREHOUSE_JOB)
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )


def main() -> int:
    started = time.monotonic()
    apply_local_defaults()
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        result = build_warehouse(instance)
    seconds = time.monotonic() - started
    if not result.success:
        print(f"\nThe warehouse build failed after {seconds:.0f} s:", file=sys.stderr)
        for event in result.all_events:
            if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data:
                error = event.step_failure_data.error
                message = error.message.strip() if error else "no error message"
                print(f"  - step {event.step_key}: {message}", file=sys.stderr)
        print("Run `make ui` to see the run's full logs in Dagster.", file=sys.stderr)
        return 1

    counts = table_row_counts()
    width = max(map(len, counts), default=0)
    print(f"\nTributary warehouse built on {warehouse_kind()} in {seconds:.0f} s")
    print(f"  where:  {warehouse_location()}")
    for table, rows in counts.items():
        print(f"  {table:<{width}}  {rows:>12,} rows")
    reasons = empty_mart_reasons()
    if reasons:
        print("  empty:  (marts.fct_engineering_data_quality says why)")
        for repository, check, reason in reasons:
            print(f"          {repository} {check}: {reason}")
    print("  next:   `make ui` opens Dagster at http://127.0.0.1:3000 (this run is there);")
    print("          `make docs` serves the dbt docs at http://127.0.0.1:8080")
    return 0


if __name__ == "__main__":
    sys.exit(main())
