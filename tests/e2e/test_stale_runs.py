"""A run whose process is gone never jams the next one, and a run that waits says so.

A real run takes the ``warehouse`` pool's slot in the test's Dagster instance
(``pool_holder.py``, run the way ``make run`` runs its job) and is killed with SIGKILL: Dagster
keeps it "Started", holding the slot. The checks ``make run`` makes before it starts, and the
sensor of ``make ui``'s daemon, mark it failed and free the slot. A run launched from the UI
names its worker only in an engine event; that form is released too. While a live run holds the
slot, ``make run`` says it waits, and Ctrl+C or SIGTERM stops it.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    asset,
    build_sensor_context,
    define_asset_job,
)
from dagster._core.events import EngineEventData

from orchestration.dlt_assets import WAREHOUSE_POOL
from orchestration.environment import apply_local_defaults, prepare_dagster_home
from orchestration.stale_runs import (
    CLOCK_SLACK_SECONDS,
    PID_TAG,
    STARTED_TAG,
    release_stale_runs,
    stale_run_sensor,
)

from support.environment import PROJECT_ROOT

HOLDER = Path(__file__).with_name("pool_holder.py")


@pytest.fixture
def instance(tributary_env):
    apply_local_defaults()
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        yield instance


def start_holder() -> subprocess.Popen[str]:
    """``pool_holder.py`` in its own process group, once it holds the slot."""
    holder = subprocess.Popen(
        [sys.executable, str(HOLDER)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert holder.stdout is not None
    for line in holder.stdout:
        if line.strip() == "holding":
            return holder
    raise AssertionError(f"the holder ended before it held the slot (status {holder.wait()})")


def held_slots(instance: DagsterInstance) -> int:
    return instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count


def only_run(instance: DagsterInstance):
    [run] = instance.get_runs()
    return instance.get_run_by_id(run.run_id)


def test_killed_run_is_marked_failed_and_frees_the_slot(instance):
    holder = start_holder()
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    assert only_run(instance).status == DagsterRunStatus.STARTED  # what a kill leaves
    assert held_slots(instance) == 1

    [line] = release_stale_runs(instance)

    assert f"its process {holder.pid} is gone" in line
    assert only_run(instance).status == DagsterRunStatus.FAILURE
    assert held_slots(instance) == 0
    assert release_stale_runs(instance) == []  # nothing left to release


def test_slot_of_a_run_terminated_from_the_ui_is_freed(instance):
    """Terminating a dead run in the UI marks it canceled but leaves its slot taken."""
    holder = start_holder()
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    instance.report_run_canceled(only_run(instance), "Terminated from the UI")
    assert held_slots(instance) == 1

    assert release_stale_runs(instance) == []  # nothing to mark failed: it has ended

    assert only_run(instance).status == DagsterRunStatus.CANCELED
    assert held_slots(instance) == 0


def test_live_run_is_left_alone(instance):
    holder = start_holder()
    try:
        assert release_stale_runs(instance) == []
        assert only_run(instance).status == DagsterRunStatus.STARTED
        assert held_slots(instance) == 1
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


@asset
def launched_from_the_ui() -> None:
    """Stands in for any asset of a run the UI launched."""


def ui_job():
    """A job of :func:`launched_from_the_ui`, for runs created as the UI creates them."""
    return Definitions(
        assets=[launched_from_the_ui], jobs=[define_asset_job("ui_job", "*")]
    ).resolve_job_def("ui_job")


def test_daemon_sensor_releases_a_ui_run_whose_worker_died(instance):
    """A run launched from the UI names its worker in Dagster's "Started process for run (pid:
    …)" event; the worker here is a process that has exited."""
    worker = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(worker.stdout)
    job = ui_job()
    run = instance.create_run_for_job(job, status=DagsterRunStatus.STARTED)
    instance.report_engine_event(
        f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
    )

    stale_run_sensor()(build_sensor_context(instance=instance))

    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE


def test_a_ui_run_whose_worker_started_late_is_left_alone(instance):
    """The launcher spawns a run's worker after it creates the run: on a busy machine seconds
    later, while the run is still "Starting". That worker is alive and is the run's."""
    job = ui_job()
    run = instance.create_run_for_job(job, status=DagsterRunStatus.STARTING)
    time.sleep(CLOCK_SLACK_SECONDS + 1)  # a busy machine: the worker starts well after
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        instance.report_engine_event(
            f"Started process for run (pid: {worker.pid}).",
            run,
            EngineEventData.in_process(worker.pid),
        )

        stale_run_sensor()(build_sensor_context(instance=instance))

        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTING
    finally:
        worker.kill()
        worker.wait()


def test_a_run_whose_process_exited_but_is_not_reaped_yet_is_released(instance):
    """A killed ``make run`` under ``make``: its Python process is a zombie until it is reaped,
    and a zombie runs nothing."""
    worker = subprocess.Popen([sys.executable, "-c", "pass"])  # not waited for: a zombie
    while psutil.Process(worker.pid).status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.05)
    try:
        job = ui_job()
        started = f"{psutil.Process(worker.pid).create_time():.2f}"
        run = instance.create_run_for_job(
            job,
            status=DagsterRunStatus.STARTED,
            tags={PID_TAG: str(worker.pid), STARTED_TAG: started},
        )

        [line] = release_stale_runs(instance)

        assert f"its process {worker.pid} is gone" in line
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    finally:
        worker.wait()


def test_make_run_says_it_waits_and_sigterm_stops_it(instance):
    holder = start_holder()
    try:
        waiting = subprocess.Popen(
            [sys.executable, "-m", "orchestration.run"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert waiting.stdout is not None
        threading.Timer(90, waiting.kill).start()  # a run that never says it waits fails here
        lines = []
        for line in waiting.stdout:
            lines.append(line)
            if line.startswith("waiting:"):
                break
        assert lines[-1].startswith("waiting: run "), "".join(lines)
        assert f"of hold_the_warehouse, process {holder.pid} writes the warehouse now" in lines[-1]
        started = time.monotonic()
        waiting.send_signal(signal.SIGTERM)
        output, _ = waiting.communicate(timeout=30)
        assert waiting.returncode == 130, output
        assert "Stopped." in output
        assert time.monotonic() - started < 30
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
