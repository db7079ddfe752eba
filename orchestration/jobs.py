"""Jobs over asset selections: each load with every model downstream of it, and dbt alone.

Every job runs its steps in the run's own process (the definitions' executor: no re-import of
the project per step) and writes the warehouse one step at a time; the instance
(``dagster.yaml``) queues runs so that one run writes at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import (
    AssetsDefinition,
    AssetSelection,
    define_asset_job,
)

if TYPE_CHECKING:  # what define_asset_job returns; dagster exports no public name for it
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

BUILD_WAREHOUSE_JOB = "build_warehouse"
EXCHANGE_TAIL_JOB = "exchange_tail"
EXCHANGE_ARCHIVE_JOB = "exchange_archive"
REPOSITORIES_JOB = "repositories"
DBT_BUILD_JOB = "dbt_build"


def _feeds(*feeds: str) -> dict[str, object]:
    """Run config of the exchange load (its op is named ``exchange``) for ``feeds``."""
    return {"ops": {"exchange": {"config": {"feeds": list(feeds)}}}}


def warehouse_jobs(
    exchange: AssetsDefinition,
    git: AssetsDefinition,
    github: AssetsDefinition,
    dbt: list[AssetsDefinition],
) -> list[UnresolvedAssetJobDefinition]:
    exchange_and_downstream = AssetSelection.assets(exchange).downstream()
    return [
        define_asset_job(
            BUILD_WAREHOUSE_JOB,
            selection=AssetSelection.all(),
            description="Load every source, then build every dbt model and run its tests.",
        ),
        define_asset_job(
            EXCHANGE_TAIL_JOB,
            selection=exchange_and_downstream,
            config=_feeds("rest", "ccxt"),
            description="The recent tail of candles (exchange REST API, ccxt), then the market "
            "models downstream of it.",
        ),
        define_asset_job(
            EXCHANGE_ARCHIVE_JOB,
            selection=exchange_and_downstream,
            config=_feeds("archive"),
            description="New and re-issued archive files (monthly, daily) and funding rates, "
            "then the market models downstream of them.",
        ),
        define_asset_job(
            REPOSITORIES_JOB,
            selection=AssetSelection.assets(git, github).downstream(),
            description="Git history and GitHub data, then the engineering models downstream.",
        ),
        define_asset_job(
            DBT_BUILD_JOB,
            selection=AssetSelection.assets(*dbt).downstream(),
            description="`dbt build` of every model, seed and data test, without loading "
            "sources (the commit-graph walk between its two parts runs too).",
        ),
    ]
