"""Assemble Tributary's Dagster definitions from the current environment."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_dlt import DagsterDltResource

from ingestion.warehouse import ensure_local_postgres
from orchestration.dbt_assets import (
    build_dbt_assets,
    dbt_resource,
    prepare_manifest,
    tributary_dbt_project,
)
from orchestration.dlt_assets import (
    build_exchange_assets,
    build_git_assets,
    build_github_assets,
)
from orchestration.environment import apply_local_defaults

BUILD_WAREHOUSE_JOB = "build_warehouse"


def build_definitions() -> Definitions:
    """Definitions for the warehouse the environment points at, read when called."""
    apply_local_defaults()
    ensure_local_postgres()
    project = tributary_dbt_project()
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        prepare_manifest(project)
    return Definitions(
        assets=[
            build_exchange_assets(),
            build_git_assets(),
            build_github_assets(),
            build_dbt_assets(project),
        ],
        jobs=[
            define_asset_job(
                BUILD_WAREHOUSE_JOB,
                selection=AssetSelection.all(),
                description="Load every source, then build every dbt model and run its tests.",
            )
        ],
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource(project)},
        # Steps run one after another in the run's own process: no re-import per step, and
        # never two writers on DuckDB.
        executor=in_process_executor,
    )
