"""dlt sources as Dagster assets, keyed ``[dataset, resource]`` like the dbt sources they feed."""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt import Pipeline
from dlt.extract.source import DltSource
from pydantic import Field

from ingestion.exchange import RejectedFiles, exchange_source
from ingestion.exchange.source import FEEDS
from ingestion.git import git_source
from ingestion.github import github_source
from ingestion.warehouse import dlt_pipeline
from orchestration.environment import exchange_arguments, git_arguments, github_arguments
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
    recover_pending_load(context, dlt_pipeline(context.op_def.name))
    with retry_transient_failures(context, config), endpoints as arguments:
        results = list(dlt.run(context=context, dlt_source=make_source(**arguments)))
    yield from with_table_metadata(results, f"raw_{context.op_def.name}", started)


SOURCES = ("exchange", "git", "github")
"""The dlt sources loaded by the assets here (each pipeline is named after its source)."""
STARTED_JOB_STATES = ("started_jobs", "completed_jobs", "failed_jobs")


class HalfLoadedError(RuntimeError):
    """A source's tables hold part of a load that a stopped run did not finish."""


def partly_loaded_packages(pipeline: Pipeline) -> list[str]:
    """Load ids of pending packages some of whose jobs already reached the warehouse."""
    return [
        load_id
        for load_id in pipeline.list_normalized_load_packages()
        if any(
            pipeline.get_load_package_info(load_id).jobs.get(state) for state in STARTED_JOB_STATES
        )
    ]


def recover_pending_load(context: AssetExecutionContext, pipeline: Pipeline) -> None:
    """Before a load: deal with what a stopped run left pending in ``pipeline``.

    A package that no job of had reached the warehouse yet is loaded as it is. A package that
    was partly loaded is aborted instead, and dlt restores the source's state to before it, so
    this run extracts that data again: resuming it could run a job the warehouse had committed
    a second time (a kill between the commit and dlt's record of it), and the merge of a
    staging table holding rows twice would store them twice. Re-extracting is safe: loads are
    merges on primary keys, and a re-loaded archive file replaces its own rows.
    """
    if not pipeline.has_pending_data:
        return
    partly = partly_loaded_packages(pipeline)
    if partly:
        message = (
            f"a stopped run left {len(partly)} load package(s) of {pipeline.pipeline_name} "
            "partly loaded: aborted, their data is extracted again"
        )
        pipeline.abort_packages()
    else:
        message = f"finishing the load of {pipeline.pipeline_name} that a stopped run left"
        pipeline.run()
    context.log.info(message)
    print(f"recovering: {message}", flush=True)


def check_no_half_load() -> None:
    """Raise :class:`HalfLoadedError` when a source's tables hold a partly finished load: dbt
    would read bookkeeping (``archive_files``) that disagrees with the data."""
    for source in SOURCES:
        pipeline = dlt_pipeline(source)
        if partly_loaded_packages(pipeline):
            raise HalfLoadedError(
                f"raw_{source} holds part of a load that a stopped run did not finish, so its "
                f"tables may disagree with each other: load {source} first (`make run`, or "
                f"materialize the raw_{source} assets), which redoes that load, then build the "
                "models"
            )


def define_exchange_assets() -> AssetsDefinition:
    @raw_table_assets("exchange", exchange_source())
    def exchange_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: ExchangeRunConfig
    ) -> Iterator[Any]:
        """Binance archive files, the REST tail and ccxt; files that fail verification fail the
        run after everything else has loaded."""
        rejected = RejectedFiles()
        source = partial(exchange_source, rejected=rejected, feeds=config.feeds)
        yield from load(context, dlt, config, exchange_arguments(), source)
        rejected.raise_if_any()

    return exchange_assets


def define_git_assets() -> AssetsDefinition:
    @raw_table_assets("git", git_source())
    def git_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: SourceRunConfig
    ) -> Iterator[Any]:
        """Commits, line changes, tags, branches and default-branch ancestry of the configured
        repositories (by default this checkout and the demo repository)."""
        yield from load(context, dlt, config, nullcontext(git_arguments()), git_source)

    return git_assets


def define_github_assets() -> AssetsDefinition:
    @raw_table_assets("github", github_source())
    def github_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: SourceRunConfig
    ) -> Iterator[Any]:
        """Pull requests, reviews, issues, releases, deployments and workflow runs of the
        configured GitHub repositories (by default the demo's, from a local GitHub)."""
        yield from load(context, dlt, config, github_arguments(), github_source)

    return github_assets
