"""The BI step: what BI tools read after every build, made ready on each warehouse.

Dashboards read the ``marts`` schema and nothing else, and never lock the warehouse out:

- on DuckDB, the step publishes a read-only copy of the marts (:mod:`orchestration.bi_copy`);
- on Postgres, it copies nothing: it sets the password of the role BI tools connect as and
  verifies that the role reads every mart and no other schema (:mod:`orchestration.bi_reader_role`).

The asset keeps its key ``bi/marts_copy`` on both warehouses: it is what users see in the
Dagster UI and select in jobs.
"""

import time
from collections.abc import Iterable
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from ingestion.warehouse import warehouse_kind
from orchestration.bi_copy import BI_SCHEMAS, publish_bi_copy
from orchestration.bi_reader_role import bi_reader_role, ensure_bi_reader_access
from orchestration.dlt_assets import WAREHOUSE_POOL

BI_ACCESS_KEY = AssetKey(["bi", "marts_copy"])
"""The BI step's asset key (named when the step only copied; kept, since users select it)."""


def mart_keys(dbt: AssetsDefinition | Iterable[AssetKey]) -> list[AssetKey]:
    """The keys of the marts among ``dbt``'s assets (first key part ``marts``)."""
    keys = dbt.keys if isinstance(dbt, AssetsDefinition) else dbt
    return sorted((key for key in keys if key.path[0] in BI_SCHEMAS), key=lambda k: k.path)


def define_bi_access_asset(dbt: AssetsDefinition | Iterable[AssetKey]) -> AssetsDefinition:
    """The BI step as an asset downstream of every mart in ``dbt``: on DuckDB it publishes the
    read-only copy, on Postgres it verifies the reader role.

    Every job that builds a mart therefore ends with it, and only when the build succeeded (a
    failed step skips what is downstream of it). On DuckDB it writes the warehouse's
    neighbourhood, not the warehouse, but reads the DuckDB file, so it joins the writers' pool:
    it must not open the file while another step writes it.
    """
    kind = warehouse_kind()

    @asset(
        key=BI_ACCESS_KEY,
        group_name="bi",
        deps=mart_keys(dbt),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "parquet"} if kind == "duckdb" else {"postgres"},
        description="What BI tools read: on DuckDB a read-only copy of the marts "
        "(data/bi/tributary.duckdb and data/bi/parquet/), atomically replaced after every "
        "successful build; on Postgres the bi_reader role's access to the marts, verified.",
    )
    def marts_copy(context: AssetExecutionContext) -> MaterializeResult:
        if warehouse_kind() == "postgres":
            return verify_reader_role(context)
        return publish_copy(context)

    return marts_copy


def publish_copy(context: AssetExecutionContext) -> MaterializeResult:
    """On DuckDB: publish the read-only copy of the marts."""
    context.log.info("Publishing the marts to the BI copy")
    copy = publish_bi_copy()
    context.log.info(f"Published {len(copy.rows)} marts to {copy.path} in {copy.seconds:.2f} s")
    return MaterializeResult(
        metadata={
            "path": str(copy.path),
            "parquet_dir": str(copy.parquet_dir),
            "tables": sorted(copy.rows),
            "rows": sum(copy.rows.values()),
            "bytes": copy.bytes,
            "seconds": round(copy.seconds, 3),
        }
    )


def verify_reader_role(context: AssetExecutionContext) -> MaterializeResult:
    """On Postgres: the BI role reads every mart and nothing else, or the asset fails."""
    started = time.perf_counter()
    role = bi_reader_role()
    if not role:
        context.log.info("BI_READER_ROLE is empty: no BI role on this warehouse")
        return MaterializeResult(metadata={"role": "", "seconds": 0.0})
    access = ensure_bi_reader_access(role)
    problems = []
    if access.unreadable_marts:
        problems.append(f"cannot read {', '.join(access.unreadable_marts)}")
    if access.visible_private_schemas:
        problems.append(f"can use schemas {', '.join(access.visible_private_schemas)}")
    if problems:
        raise RuntimeError(f"BI role {role!r} " + "; ".join(problems))
    metadata: dict[str, Any] = {
        "role": role,
        "connection": access.url,
        "tables": access.readable_marts,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return MaterializeResult(metadata=metadata)
