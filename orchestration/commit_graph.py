"""The commit-graph walk as a Dagster asset: what each deployment shipped.

It sits between two parts of the dbt build: it reads ``int_engineering__deployments`` (built by
dbt) and ``raw_git.commits`` (loaded by the git source), walks the graph once
(:mod:`ingestion.git.shipped_commits`) and loads ``commit_graph.deployment_commits``, which
``int_engineering__deployment_commits`` and everything downstream read. Dagster runs the dbt
models upstream of it in one ``dbt build`` step and those downstream in another.
"""

import time

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from ingestion.git.shipped_commits import (
    COMMITS_RELATION,
    DATASET,
    DEPLOYMENTS_RELATION,
    TABLE,
    load_deployment_commits,
)
from ingestion.warehouse import dlt_pipeline, warehouse_kind
from orchestration.dlt_assets import WAREHOUSE_POOL

DEPLOYMENT_COMMITS_KEY = AssetKey([DATASET, TABLE])


def define_commit_graph_asset() -> AssetsDefinition:
    @asset(
        key=DEPLOYMENT_COMMITS_KEY,
        group_name=DATASET,
        deps=[AssetKey(list(DEPLOYMENTS_RELATION)), AssetKey(list(COMMITS_RELATION))],
        pool=WAREHOUSE_POOL,
        kinds={"python", "dlt", warehouse_kind()},
        description="The commits each deployment newly shipped: `git rev-list <deployed commit> "
        "--not <every earlier deployment's commit>`, for every deployment in one walk of the "
        "commit graph (each commit visited once), replacing the previous result.",
    )
    def deployment_commits(context: AssetExecutionContext) -> MaterializeResult:
        started = time.monotonic()
        shipped = load_deployment_commits(dlt_pipeline(DATASET, DATASET))
        deployments = len(set(shipped.column("deployment_id").to_pylist()))
        context.log.info(f"{shipped.num_rows} commits shipped by {deployments} deployments")
        return MaterializeResult(
            metadata={
                "dagster/row_count": shipped.num_rows,
                "deployments_shipping_commits": deployments,
                "load_seconds": round(time.monotonic() - started, 2),
            }
        )

    return deployment_commits
