"""dlt sources as Dagster assets, keyed ``[dataset, resource]`` like the dbt sources they feed."""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.git import git_source
from ingestion.github import github_source
from ingestion.warehouse import dlt_pipeline
from orchestration.environment import exchange_endpoints, git_repositories, github_endpoints

WAREHOUSE_POOL = "warehouse"
"""Concurrency pool of every asset that writes the warehouse (DuckDB takes one writer)."""


class RawTableTranslator(DagsterDltTranslator):
    """Key each dlt resource as ``[dataset, resource]``: the key dagster-dbt gives the dbt source
    table of the same name, so dlt and dbt assets form one graph without per-table glue."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> Any:
        spec = super().get_asset_spec(data)
        dataset = data.pipeline.dataset_name if data.pipeline else data.resource.source_name
        return spec.replace_attributes(
            key=AssetKey([dataset, data.resource.name]), deps=[], group_name=dataset
        )


def build_exchange_assets() -> AssetsDefinition:
    @dlt_assets(
        dlt_source=exchange_source(),
        dlt_pipeline=dlt_pipeline("exchange"),
        name="exchange",
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def exchange_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        """Binance archive files, the REST tail and ccxt; files that fail verification fail the
        run after everything else has loaded."""
        rejected = RejectedFiles()
        with exchange_endpoints() as endpoints:
            source = exchange_source(rejected=rejected, **endpoints)
            yield from dlt.run(context=context, dlt_source=source)
        rejected.raise_if_any()

    return exchange_assets


def build_git_assets() -> AssetsDefinition:
    @dlt_assets(
        dlt_source=git_source(),
        dlt_pipeline=dlt_pipeline("git"),
        name="git",
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def git_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        """Commits, line changes, tags, branches and default-branch ancestry of the configured
        repositories (by default this checkout and the demo repository)."""
        yield from dlt.run(context=context, dlt_source=git_source(**git_repositories()))

    return git_assets


def build_github_assets() -> AssetsDefinition:
    @dlt_assets(
        dlt_source=github_source(),
        dlt_pipeline=dlt_pipeline("github"),
        name="github",
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def github_assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
        """Pull requests, reviews, issues, releases, deployments and workflow runs of the
        configured GitHub repositories (by default the demo's, from a local GitHub)."""
        with github_endpoints() as endpoints:
            yield from dlt.run(context=context, dlt_source=github_source(**endpoints))

    return github_assets
