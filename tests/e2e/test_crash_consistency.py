"""A run killed at any stage leaves nothing the next run trips over.

``make run`` (``python -m orchestration.run``) is killed with SIGKILL, process group and all, at
each stage in turn: the archive extract, the REST tail, the load into the warehouse (after
some of its jobs committed), the git load, the dbt build and the BI publish. Each next run is
killed at the next stage; the last one runs to the end. Every rerun must be doing useful work
within 30 s (no stale run holds the warehouse pool), and the final marts must equal those of a
clean run in another data folder, value for value, with no duplicate candles and no
bookkeeping that disagrees with the data.

A stage is recognised by what the run prints (progress lines every 0.01 s, the sources' log
lines, dbt's lines), not by timing. Postgres gets the load stage, through the README's
``make run WAREHOUSE=postgres`` exactly as it is written.
"""

import glob
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from dagster import DagsterInstance

from ingestion.warehouse import dlt_pipeline, warehouse_cursor
from orchestration.assembly import assemble_definitions
from orchestration.environment import apply_local_defaults, prepare_dagster_home
from orchestration.jobs import DBT_BUILD_JOB
from orchestration.run_outcome import step_failures
from orchestration.stale_runs import release_stale_runs

from support.environment import PROJECT_ROOT, SMALL_DEMO, isolate_environment
from support.warehouse import mart_content_hashes

LOAD_LINEAGE = ("latest_load_id",)
"""Columns naming the load a value came from: two loads of the same data differ there only."""
USEFUL_WORK_SECONDS = 30
"""How soon a rerun must be loading (its first progress or log line after the starting line),
counted in the CPU seconds its processes spent until then: on an idle machine that is the wall
time, and unlike the wall time it does not grow when other work shares the machine. A rerun that
waited for a stale run would print a "waiting:" line first; see :func:`assert_works_at_once`."""
FREQUENT_PROGRESS = {"TRIBUTARY_PROGRESS_SECONDS": "0.01"}
"""Progress lines every 0.01 s, so each stage shows as soon as it starts."""
README_POSTGRES_RUN = ("make", "run", "WAREHOUSE=postgres")
"""The README's command for a Postgres warehouse, as it writes it."""
KEPT = ("PATH", "HOME", "LANG", "TMPDIR", "CHROMIUM")
"""Variables a shell on a fresh machine has; everything Tributary reads is left out."""


@dataclass(frozen=True)
class Stage:
    name: str
    marker: str
    """A regular expression matching the first line the run prints in that stage."""


STAGES = (
    Stage("archive extract", "progress: exchange extract"),
    Stage("REST tail", "REST tail of"),
    Stage("load", r"progress: exchange load .*jobs [1-9]"),  # some jobs committed, not all
    Stage("git", "progress: git extract"),
    Stage("dbt", "START sql table model marts."),
    Stage("BI publish", "Publishing the marts to the BI copy"),
)
LOAD = STAGES[2]


@dataclass
class Run:
    returncode: int
    output: str
    first_work_seconds: float | None
    """CPU seconds the run's processes spent until its first line after the starting line."""


def make_run(
    kill_at: str | None = None,
    timeout: float = 600,
    command: tuple[str, ...] = (sys.executable, "-m", "orchestration.run"),
    environment: dict[str, str] | None = None,
) -> Run:
    """``make run`` (by default its command, in the test's environment); with ``kill_at``,
    SIGKILL its process group as soon as it prints a line that regular expression matches
    (progress lines are then printed every 0.01 s, so each stage shows as soon as it starts)."""
    progress = {} if kill_at is None else FREQUENT_PROGRESS
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**(os.environ if environment is None else environment), **progress},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
    timer.start()
    first_work, lines = None, []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if first_work is None and len(lines) > 1 and not line.startswith(("starting:", "make")):
            first_work = cpu_seconds(process.pid)
        if kill_at is not None and re.search(kill_at, line):
            os.killpg(process.pid, signal.SIGKILL)
            wait_until_group_gone(process.pid)
            break
    process.wait()
    timer.cancel()
    return Run(process.returncode, "".join(lines), first_work)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its descendants (those that ended and were
    waited for included)."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:  # it ended before its lines were read: nothing to add
        return 0.0
    total = 0.0
    for found in family:
        try:
            times = found.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def assert_works_at_once(run: Run, what: str) -> None:
    """The run did useful work within :data:`USEFUL_WORK_SECONDS` and waited for no other run."""
    assert run.first_work_seconds is not None, (what, run.output[-2000:])
    assert run.first_work_seconds < USEFUL_WORK_SECONDS, (what, run.output[-2000:])
    assert "\nwaiting: " not in run.output, (what, run.output[-2000:])


def wait_until_group_gone(group: int, timeout: float = 60) -> None:
    """Wait until every process of the killed group has exited (``make`` first, its children
    a moment later), as after a real kill, before the test looks at what the run left."""
    deadline, alive = time.monotonic() + timeout, [0]
    while time.monotonic() < deadline:
        alive = []
        for found in psutil.process_iter():
            try:
                if os.getpgid(found.pid) == group and found.status() != psutil.STATUS_ZOMBIE:
                    alive.append(found.pid)
            except (ProcessLookupError, psutil.Error):
                continue
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes {alive} of the killed group {group} still run")


def readme_environment(data: Path) -> dict[str, str]:
    """A shell on a fresh machine: nothing Tributary reads but the small demo's symbols and
    start date (which keep the test short) and its own data folder; no ``POSTGRES_*``."""
    environment = {name: os.environ[name] for name in KEPT if name in os.environ}
    return {**environment, **SMALL_DEMO, "TRIBUTARY_DATA_DIR": str(data)}


def duplicate_rows() -> int:
    """Primary keys held more than once in the raw exchange tables."""
    with warehouse_cursor() as cursor:
        cursor.execute(
            "select (select count(*) from (select 1 from raw_exchange.klines group by exchange, "
            'market, symbol, "interval", open_time, data_source having count(*) > 1) as k) + '
            "(select count(*) from (select 1 from raw_exchange.funding_rates group by exchange, "
            "market, symbol, funding_time having count(*) > 1) as f)"
        )
        return int(cursor.fetchone()[0])


def bookkeeping_disagreements() -> list[tuple]:
    """Archive files whose recorded row count is not what the tables hold for them."""
    with warehouse_cursor() as cursor:
        cursor.execute(
            """
            with held as (
                select source_file, count(*) as held_rows from raw_exchange.klines
                group by source_file
                union all
                select source_file, count(*) from raw_exchange.funding_rates group by source_file
            )
            select files.path, files.row_count, coalesce(held.held_rows, 0)
            from raw_exchange.archive_files as files
            left join held on held.source_file = files.path
            where files.status = 'loaded' and files.row_count <> coalesce(held.held_rows, 0)
            order by 1
            """
        )
        return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.long
def test_killed_at_every_stage_then_rerun_equals_a_clean_run(monkeypatch, tmp_path):
    isolate_environment(monkeypatch, tmp_path / "clean", "duckdb")
    clean = make_run()
    assert clean.returncode == 0, clean.output[-3000:]
    expected = mart_content_hashes(ignore=LOAD_LINEAGE)

    isolate_environment(monkeypatch, tmp_path / "killed", "duckdb")
    for number, stage in enumerate(STAGES):
        run = make_run(kill_at=stage.marker)
        assert run.returncode == -signal.SIGKILL, f"{stage.name}: never reached\n{run.output}"
        if number > 0:  # a rerun (the first run also generates the demo's data)
            assert_works_at_once(run, stage.name)
    final = make_run()
    assert final.returncode == 0, final.output[-3000:]
    assert_works_at_once(final, "final run")
    assert "recovered: run " in final.output  # the BI-publish run left a stale run behind
    assert "Unable to do partial parsing" not in final.output  # dbt parsed only what changed

    assert duplicate_rows() == 0
    assert bookkeeping_disagreements() == []
    assert mart_content_hashes(ignore=LOAD_LINEAGE) == expected


@pytest.mark.long
@pytest.mark.postgres
def test_killed_during_the_postgres_load_then_nothing_reads_a_half_load(monkeypatch, tmp_path):
    """``make run WAREHOUSE=postgres`` exactly as the README writes it, on a machine with no
    Postgres settings: it starts a local pgserver itself. Killed while it loads, a run of dbt
    alone (the UI's ``dbt_build`` job) refuses to read the half-committed load, saying what to
    do; the next ``make run WAREHOUSE=postgres`` loads that data again, and the tables agree."""
    data = tmp_path / "data"
    killed = make_run(
        LOAD.marker, command=README_POSTGRES_RUN, environment=readme_environment(data)
    )
    assert killed.returncode == -signal.SIGKILL, killed.output[-3000:]
    assert f"into Postgres database 'postgres' at {data / 'postgres'}" in killed.output
    isolate_environment(monkeypatch, data, "postgres")
    for variable, value in postgres_environment(data).items():
        monkeypatch.setenv(variable, value)
    apply_local_defaults()
    prepare_dagster_home()

    with DagsterInstance.get() as instance:
        release_stale_runs(instance)
        dbt_only = assemble_definitions().resolve_job_def(DBT_BUILD_JOB)
        result = dbt_only.execute_in_process(instance=instance, raise_on_error=False)
    [failure] = step_failures([result])
    assert failure.cause.startswith("raw_exchange holds part of a load that a stopped run did")
    assert "load exchange first (`make run`" in failure.cause

    rerun = make_run(command=README_POSTGRES_RUN, environment=readme_environment(data))
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert_works_at_once(rerun, "rerun")
    assert "partly loaded: aborted, their data is extracted again" in rerun.output
    assert "Tributary warehouse built on postgres in" in rerun.output
    assert "marts.fct_candles" in rerun.output and "marts.fct_dora_weekly" in rerun.output
    assert "Traceback" not in rerun.output
    # The summary names where dbt's log of each step is.
    (dbt_logs,) = re.findall(r"\n +logs: +dbt (\S+dbt\.log) ", rerun.output)
    assert glob.glob(dbt_logs), dbt_logs
    assert not dlt_pipeline("exchange").has_pending_data
    assert duplicate_rows() == 0
    assert bookkeeping_disagreements() == []
    marts = mart_content_hashes()
    assert marts["fct_candles"][0] > 0 and marts["fct_dora_weekly"][0] > 0


def postgres_environment(data: Path) -> dict[str, str]:
    """Point this process at the local Postgres the runs started under ``data``."""
    import pgserver

    info = pgserver.get_server(data / "postgres").get_postmaster_info()
    return {
        "POSTGRES_HOST": str(info.socket_dir),
        "POSTGRES_PORT": str(info.port or 5432),
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "POSTGRES_DB": "postgres",
    }
