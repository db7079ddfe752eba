"""dlt sources as Dagster assets, keyed ``[dataset, resource]`` like the dbt sources they feed."""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource
from pydantic import Field

from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.exchange.source import FEEDS
from ingestion.git import git_source
from ingestion.github import github_source
from ingestion.warehouse import dlt_pipeline
from orchestration.environment import exchange_endpoints, git_repositories, github_endpoints
from orchestration.retries import SourceRunConfig, retry_transient_failures
from orchestration.summary import table_row_counts

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


class ExchangeRunConfig(SourceRunConfig):
    """Run settings of the exchange load: which feeds it reads."""

    feeds: list[str] = Field(
        default=list(FEEDS),
        description="Feeds to read: archive (monthly/daily files), rest (the recent tail), ccxt.",
    )


def with_table_metadata(results: Iterable[Any], dataset: str, started: float) -> Iterator[Any]:
    """dagster-dlt's results plus the table's row count after the load and the load's seconds."""
    events = list(results)
    seconds = time.monotonic() - started
    counts = table_row_counts((dataset,))
    for event in events:
        if isinstance(event, MaterializeResult) and event.asset_key is not None:
            table = f"{dataset}.{event.asset_key.path[-1]}"
            extra: dict[str, Any] = {"load_seconds": round(seconds, 2)}
            if table in counts:
                extra["dagster/row_count"] = counts[table]
            event = MaterializeResult(
                asset_key=event.asset_key,
                metadata={**(event.metadata or {}), **extra},
                check_results=event.check_results,
                data_version=event.data_version,
                tags=event.tags,
            )
        yield event


def raw_table_assets(name: str, source: DltSource) -> Callable[[Callable[..., Any]], Any]:
    """``@dlt_assets`` for the source ``name``: one asset per table of ``raw_<name>``, keyed like
    the dbt source tables, in the writers' pool."""
    return dlt_assets(
        dlt_source=source,
        dlt_pipeline=dlt_pipeline(name),
        name=name,
        dagster_dlt_translator=RawTableTranslator(),
        pool=WAREHOUSE_POOL,
    )


def load(
    context: AssetExecutionContext,
    dlt: DagsterDltResource,
    config: SourceRunConfig,
    endpoints: AbstractContextManager[dict[str, Any]],
    make_source: Callable[..., Any],
) -> Iterator[Any]:
    """Run the source that ``make_source`` builds from ``endpoints``' arguments; a transient
    failure is retried with backoff, and each table's materialization gets its row count."""
    started = time.monotonic()
    finish_pending_load(context)
    with retry_transient_failures(context, config), endpoints as arguments:
        results = list(dlt.run(context=context, dlt_source=make_source(**arguments)))
    yield from with_table_metadata(results, f"raw_{context.op_def.name}", started)


def finish_pending_load(context: AssetExecutionContext) -> None:
    """Load what a stopped run extracted but did not load, before extracting anew.

    dlt's ``run`` would load such packages and return without extracting this run's data,
    leaving the new data for the run after. Loads are merges on primary keys, so the data of a
    package loaded twice (once partly) is there once.
    """
    pipeline = dlt_pipeline(context.op_def.name)
    if pipeline.has_pending_data:
        packages = (
            pipeline.list_extracted_load_packages() + pipeline.list_normalized_load_packages()
        )
        message = (
            f"finishing {len(packages)} load package(s) of {pipeline.pipeline_name} that a "
            "stopped run left pending"
        )
        context.log.info(message)
        print(f"recovering: {message}", flush=True)
        pipeline.run()


def build_exchange_assets() -> AssetsDefinition:
    @raw_table_assets("exchange", exchange_source())
    def exchange_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: ExchangeRunConfig
    ) -> Iterator[Any]:
        """Binance archive files, the REST tail and ccxt; files that fail verification fail the
        run after everything else has loaded."""
        rejected = RejectedFiles()
        source = partial(exchange_source, rejected=rejected, feeds=config.feeds)
        yield from load(context, dlt, config, exchange_endpoints(), source)
        rejected.raise_if_any()

    return exchange_assets


def build_git_assets() -> AssetsDefinition:
    @raw_table_assets("git", git_source())
    def git_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: SourceRunConfig
    ) -> Iterator[Any]:
        """Commits, line changes, tags, branches and default-branch ancestry of the configured
        repositories (by default this checkout and the demo repository)."""
        yield from load(context, dlt, config, nullcontext(git_repositories()), git_source)

    return git_assets


def build_github_assets() -> AssetsDefinition:
    @raw_table_assets("github", github_source())
    def github_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: SourceRunConfig
    ) -> Iterator[Any]:
        """Pull requests, reviews, issues, releases, deployments and workflow runs of the
        configured GitHub repositories (by default the demo's, from a local GitHub)."""
        yield from load(context, dlt, config, github_endpoints(), github_source)

    return github_assets
