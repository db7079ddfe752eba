"""Runs whose process is gone: marked failed, their pool slots freed, so later runs start.

A run killed by SIGKILL, the out-of-memory killer, a reboot or a CI timeout cannot record that
it ended: Dagster keeps it "Started", its step keeps the only slot of the ``warehouse`` pool,
and every later run waits for ever (the UI's queue says "2 runs are currently in progress").
Dagster's own run monitoring cannot see it with the default run launcher, which has no health
check of run workers. So every run says which process runs it: ``make run`` tags its runs with
the process id and the process's start time (:func:`process_tags`); a run launched from the UI
records its worker's pid in Dagster's "Started process for run (pid: …)" event.

:func:`release_stale_runs` marks each in-progress run whose process no longer exists (or whose
pid now belongs to a younger process: a reboot, pid reuse) failed, and frees the pool slots of
every run that has ended. ``make run`` and ``make ui`` call it before they start; in the UI's
daemon the sensor :func:`stale_run_sensor` calls it every 30 s.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.storage.dagster_run import FINISHED_STATUSES

PID_TAG = "tributary/pid"
STARTED_TAG = "tributary/process_started"
HOST_TAG = "tributary/host"
IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
CLOCK_SLACK_SECONDS = 1.0
"""Process start times are known to the clock tick; a run starts after its process."""


@dataclass(frozen=True)
class RunProcess:
    """The process that runs (or ran) a run, as the run recorded it."""

    pid: int
    started_at: float
    """Unix time the process started, or when it reported its pid when only the pid is known:
    a process with that pid that started later is not the run's."""


def process_tags() -> dict[str, str]:
    """Tags that tie a run executed in this process to it."""
    return {
        PID_TAG: str(os.getpid()),
        STARTED_TAG: f"{psutil.Process().create_time():.2f}",
        HOST_TAG: socket.gethostname(),
    }


def run_process(instance: DagsterInstance, run_id: str) -> RunProcess | None:
    """The process of a run on this machine, from its tags or its worker's engine event; None
    when the run names none (it may not have started a worker yet) or ran on another host."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return None
    tags = record.dagster_run.tags
    if PID_TAG in tags:
        if tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
            return None
        return RunProcess(int(tags[PID_TAG]), float(tags.get(STARTED_TAG, 0.0)))
    events = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT)
    for event in events.records:
        dagster_event = event.event_log_entry.dagster_event
        metadata = dagster_event.engine_event_data.metadata if dagster_event else {}
        pid = metadata.get("pid")
        if pid is not None:
            # The worker wrote this event, so it had started by then; a later process with
            # its pid is not the run's. (The run's own times are no bound: a run is created,
            # and may be "Starting", well before the launcher spawns its worker.)
            return RunProcess(int(str(pid.value)), event.event_log_entry.timestamp)
    return None


def is_running(process: RunProcess) -> bool:
    """True while the recorded process exists, is the one that started the run and has not
    exited (a killed process is a zombie until its parent reaps it)."""
    try:
        found = psutil.Process(process.pid)
        created, status = found.create_time(), found.status()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # e.g. access denied: it exists, assume it is the run's
        return True
    return status != psutil.STATUS_ZOMBIE and created <= process.started_at + CLOCK_SLACK_SECONDS


def release_stale_runs(instance: DagsterInstance) -> list[str]:
    """Mark every in-progress run whose process is gone failed and free the pool slots of all
    runs that have ended; returns one line per run marked failed."""
    released = []
    for record in instance.get_run_records(RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        process = run_process(instance, run.run_id)
        if process is None or is_running(process):
            continue
        reason = (
            f"its process {process.pid} is gone (killed, out of memory or the machine restarted)"
        )
        instance.report_run_failed(run, f"Marked failed by Tributary: {reason}.")
        released.append(f"run {run.run_id} of {run.job_name}: {reason}")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            record = instance.get_run_record_by_id(run_id)
            if record is None or record.dagster_run.status in FINISHED_STATUSES:
                storage.free_concurrency_slots_for_run(run_id)
    return released


def announce_released_runs(instance: DagsterInstance) -> None:
    """:func:`release_stale_runs`, saying on standard output what it released."""
    for line in release_stale_runs(instance):
        print(f"recovered: {line}; marked failed, its pool slot freed", flush=True)


def runs_in_progress(instance: DagsterInstance) -> list[str]:
    """One line per run that is running now (after stale ones are released), for the message
    of a run that will wait for them."""
    lines = []
    for record in instance.get_run_records(RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        process = run_process(instance, run.run_id)
        where = f", process {process.pid}" if process else ""
        lines.append(f"run {run.run_id} of {run.job_name}{where}")
    return lines


def stale_run_sensor() -> SensorDefinition:
    """Every 30 s in the UI's daemon: runs whose process is gone are marked failed and release
    their pool slots, so queued runs start."""

    @sensor(
        name="release_stale_runs",
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Marks runs whose process is gone (killed, out of memory, a restart) "
        "failed and frees their slots in the warehouse pool, so queued runs can start.",
    )
    def release(context: SensorEvaluationContext) -> SkipReason:
        released = release_stale_runs(context.instance)
        for line in released:
            context.log.warning(f"marked failed: {line}")
        return SkipReason(f"{len(released)} stale run(s) marked failed" if released else "none")

    return release
