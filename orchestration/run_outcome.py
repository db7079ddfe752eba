"""What a run of the warehouse job did when a step failed: each failure's own cause, and the
assets that could still be built.

A failed load must not stop the marts that do not read it: a GitHub outage is no reason to
leave the market marts stale, nor a rejected archive file the engineering marts. Dagster skips
everything downstream of a failed step, including the dbt models that do not depend on it
(dbt runs as two multi-assets). :func:`buildable_after_failure` names what is left to build
without the failed steps' data; ``make run`` materializes it in a second run, so the only assets
left stale are those downstream of a failure. The BI copy is published either way: it copies
whatever the marts hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    Definitions,
    ExecuteInProcessResult,
)
from dagster._utils.error import SerializableErrorInfo

from orchestration.bi_access import BI_ACCESS_KEY
from orchestration.guidance import guidance_for_text

SELF_EXPLAINING_ERRORS = frozenset(
    {
        "SettingError",
        "WarehouseConfigError",
        "WarehouseLockedError",
        "GitError",
        "GitHubError",
        "ArchiveError",
        "EndpointUnreachableError",
        "PostgresUnreachableError",
        "HalfLoadedError",
    }
)
"""Tributary's errors for what a user can fix: their message names the cause and what to do."""
WRAPPERS = frozenset({"DagsterExecutionStepExecutionError", "PipelineStepFailed"})
"""Errors that only say which step or dlt stage failed; the cause is below them."""
INTERRUPTS = frozenset({"DagsterExecutionInterruptedError", "KeyboardInterrupt"})
DBT_ERROR = "DagsterDbtCliRuntimeError"
DBT_FAILURE_LINE = re.compile(r"^\d+ of \d+ (ERROR|FAIL)\b.*?(?= \.{3,}|$)")
"""dbt's line for a node that failed: ``210 of 226 ERROR creating sql table model marts.x``."""
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
MAX_DBT_LINES = 5


@dataclass(frozen=True)
class StepFailure:
    """A failed step: its own cause (one line, or a short list for rejected files) and, when a
    user can act on it, what to do."""

    step: str
    cause: str
    advice: str | None


def error_chain(error: SerializableErrorInfo | None) -> list[SerializableErrorInfo]:
    """The error and what caused it, outermost first."""
    chain = []
    while error is not None and len(chain) < 20:
        chain.append(error)
        error = error.cause or error.context
    return chain


def error_text(error: SerializableErrorInfo) -> str:
    """The error's message without the ``module.ClassName: `` Dagster puts before it."""
    text = error.message.strip()
    prefix, separator, rest = text.partition(": ")
    return rest if separator and prefix.rsplit(".", 1)[-1] == error.cls_name else text


def root_cause(error: SerializableErrorInfo | None) -> tuple[str, str | None]:
    """The cause a user should read, and what to do when the error says it.

    Tributary's own user errors explain themselves; otherwise the innermost error that is not
    a wrapper of Dagster or dlt (a lock error gets the lock advice).
    """
    chain = error_chain(error)
    if not chain:
        return "no error recorded", None
    for link in chain:
        if link.cls_name in SELF_EXPLAINING_ERRORS:
            return error_text(link), None
        if link.cls_name == DBT_ERROR:
            return dbt_failures(link.message), "see dbt's log above, or the run in `make ui`"
    advice = guidance_for_text("\n".join(link.message for link in chain))
    meaningful = [link for link in chain if link.cls_name not in WRAPPERS] or chain
    innermost = meaningful[-1]
    lines = error_text(innermost).splitlines() or [""]
    return f"{innermost.cls_name}: {lines[0].strip()}".rstrip(": "), advice


def dbt_failures(message: str) -> str:
    """The nodes a failed ``dbt build`` names (``3 of 226 FAIL 2 not_null_…``), one per line."""
    lines = []
    for line in ANSI_COLOUR.sub("", message).splitlines():
        failed = DBT_FAILURE_LINE.match(line.strip())
        if failed and failed[0] not in lines:
            lines.append(failed[0])
    if not lines:
        return "dbt build failed"
    more = f"\n(and {len(lines) - MAX_DBT_LINES} more)" if len(lines) > MAX_DBT_LINES else ""
    return "dbt build failed:\n" + "\n".join(lines[:MAX_DBT_LINES]) + more


def step_failures(results: Iterable[ExecuteInProcessResult]) -> list[StepFailure]:
    """Every failed step of ``results``, with its own cause."""
    failures = []
    for result in results:
        for event in result.all_events:
            if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data:
                cause, advice = root_cause(event.step_failure_data.error)
                failures.append(StepFailure(event.step_key or "?", cause, advice))
    return failures


def was_interrupted(result: ExecuteInProcessResult) -> bool:
    """True when Ctrl+C or SIGTERM stopped the run (its steps fail with Dagster's interrupt)."""
    return any(
        link.cls_name in INTERRUPTS
        for event in result.all_events
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data
        for link in error_chain(event.step_failure_data.error)
    )


def materialized(results: Iterable[ExecuteInProcessResult]) -> set[AssetKey]:
    return {
        event.asset_key
        for result in results
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def failed_assets(definitions: Definitions, failed_steps: Sequence[str]) -> set[AssetKey]:
    """The assets computed by the failed steps (a step runs one asset or multi-asset)."""
    graph = definitions.resolve_asset_graph()
    return {
        key
        for assets in graph.assets_defs
        if assets.node_def.name in failed_steps
        for key in assets.keys
    }


def downstream_of(definitions: Definitions, keys: set[AssetKey]) -> set[AssetKey]:
    if not keys:
        return set()
    return set(AssetSelection.assets(*keys).downstream().resolve(definitions.resolve_asset_graph()))


def buildable_after_failure(
    definitions: Definitions, result: ExecuteInProcessResult
) -> list[AssetKey]:
    """Assets the run skipped that do not depend on a failed step, and the BI copy when any
    of those is a mart; empty when nothing is left to build (or nothing failed)."""
    failed_steps = [failure.step for failure in step_failures([result])]
    if not failed_steps or was_interrupted(result):
        return []
    graph = definitions.resolve_asset_graph()
    planned = set(graph.materializable_asset_keys)
    failed = failed_assets(definitions, failed_steps)
    left = planned - materialized([result]) - downstream_of(definitions, failed)
    if left and BI_ACCESS_KEY not in failed:
        left.add(BI_ACCESS_KEY)
    return sorted(left, key=lambda key: key.to_user_string())


def stale_assets(
    definitions: Definitions, results: Sequence[ExecuteInProcessResult]
) -> list[AssetKey]:
    """Assets of the warehouse job that no run of ``results`` materialized."""
    planned = set(definitions.resolve_asset_graph().materializable_asset_keys)
    return sorted(planned - materialized(results), key=lambda key: key.to_user_string())
