"""When the jobs run. Schedules start stopped: switch them on in the Dagster UI (Automation) or
with ``dagster schedule start <name> -m orchestration.definitions``; they then run while
``make ui`` (its daemon) runs. Times are UTC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import DefaultScheduleStatus, ScheduleDefinition

if TYPE_CHECKING:  # what define_asset_job returns; dagster exports no public name for it
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

from orchestration.jobs import (
    DBT_BUILD_JOB,
    EXCHANGE_ARCHIVE_JOB,
    EXCHANGE_TAIL_JOB,
    REPOSITORIES_JOB,
)

CRON_BY_JOB = {
    EXCHANGE_TAIL_JOB: ("5 * * * *", "Hourly, five minutes past: the REST tail of candles."),
    EXCHANGE_ARCHIVE_JOB: (
        "30 1 * * *",
        "Daily at 01:30: yesterday's daily archive files are published after midnight.",
    ),
    REPOSITORIES_JOB: ("0 2 * * *", "Daily at 02:00: git history and GitHub data."),
    DBT_BUILD_JOB: ("0 3 * * *", "Nightly at 03:00: the full `dbt build` with every data test."),
}


def warehouse_schedules(jobs: list[UnresolvedAssetJobDefinition]) -> list[ScheduleDefinition]:
    by_name = {job.name: job for job in jobs}
    return [
        ScheduleDefinition(
            name=f"{job_name}_schedule",
            job=by_name[job_name],
            cron_schedule=cron,
            execution_timezone="UTC",
            description=description,
            default_status=DefaultScheduleStatus.STOPPED,
        )
        for job_name, (cron, description) in CRON_BY_JOB.items()
    ]
