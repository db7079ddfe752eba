"""Assemble Tributary's Dagster definitions from the current environment."""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from ingestion.local_postgres import ensure_local_postgres
from orchestration.bi_access import define_bi_access_asset
from orchestration.checks import freshness_sensor, raw_freshness_checks
from orchestration.commit_graph import define_commit_graph_asset
from orchestration.dbt_assets import (
    define_dbt_assets,
    ensure_current_manifest,
    tributary_dbt_project,
)
from orchestration.dbt_cli import dbt_resource
from orchestration.dlt_assets import (
    define_exchange_assets,
    define_git_assets,
    define_github_assets,
)
from orchestration.environment import apply_local_defaults
from orchestration.jobs import warehouse_jobs
from orchestration.schedules import warehouse_schedules
from orchestration.stale_runs import stale_run_sensor


def assemble_definitions() -> Definitions:
    """Definitions for the warehouse the environment points at, read when called."""
    apply_local_defaults()
    ensure_local_postgres()
    project = tributary_dbt_project()
    ensure_current_manifest(project)
    exchange, git, github = define_exchange_assets(), define_git_assets(), define_github_assets()
    dbt = define_dbt_assets(project)
    jobs = warehouse_jobs(exchange, git, github, dbt)
    freshness = raw_freshness_checks([exchange, git, github])
    return Definitions(
        assets=[
            exchange,
            git,
            github,
            *dbt,
            define_commit_graph_asset(),
            define_bi_access_asset([key for models in dbt for key in models.keys]),
        ],
        asset_checks=freshness,
        jobs=jobs,
        schedules=warehouse_schedules(jobs),
        sensors=[freshness_sensor(freshness), stale_run_sensor()],
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource(project)},
        # Every run (a job, or assets materialized from the UI) runs its steps one after another
        # in the run's own process: no re-import of the project per step, never two writers.
        executor=in_process_executor,
    )
