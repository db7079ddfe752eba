"""Jobs, schedules, freshness checks and retries of the Dagster definitions, run for real."""

import json
import os

import pytest
import requests
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DefaultScheduleStatus,
    build_schedule_context,
)

from demo.github.server import LocalGitHub
from demo.webshop.world import write_demo_world
from ingestion.warehouse import warehouse_cursor
from orchestration.assembly import assemble_definitions
from orchestration.dbt_assets import (
    ensure_current_manifest,
    manifest_is_current,
    tributary_dbt_project,
)
from orchestration.environment import apply_local_defaults
from orchestration.jobs import (
    BUILD_WAREHOUSE_JOB,
    DBT_BUILD_JOB,
    EXCHANGE_ARCHIVE_JOB,
    EXCHANGE_TAIL_JOB,
    REPOSITORIES_JOB,
)
from orchestration.retries import is_transient

KLINES = AssetKey(["raw_exchange", "klines"])
ARCHIVE_FILES = AssetKey(["raw_exchange", "archive_files"])
COMMITS = AssetKey(["raw_git", "commits"])
PULL_REQUESTS = AssetKey(["raw_github", "pull_requests"])
FCT_CANDLES = AssetKey(["marts", "fct_candles"])
FCT_DORA_WEEKLY = AssetKey(["marts", "fct_dora_weekly"])


@pytest.fixture
def defs(tributary_env):
    return assemble_definitions()


def _asset_keys(defs, job_name: str) -> set[AssetKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)


def test_each_job_loads_its_source_and_builds_what_is_downstream(defs):
    tail = _asset_keys(defs, EXCHANGE_TAIL_JOB)
    assert {KLINES, ARCHIVE_FILES, FCT_CANDLES} <= tail
    assert not tail & {COMMITS, PULL_REQUESTS, FCT_DORA_WEEKLY}
    assert _asset_keys(defs, EXCHANGE_ARCHIVE_JOB) == tail
    repositories = _asset_keys(defs, REPOSITORIES_JOB)
    assert {COMMITS, PULL_REQUESTS, FCT_DORA_WEEKLY} <= repositories
    assert not repositories & {KLINES, FCT_CANDLES}
    dbt_only = _asset_keys(defs, DBT_BUILD_JOB)
    assert {FCT_CANDLES, FCT_DORA_WEEKLY} <= dbt_only
    assert not dbt_only & {KLINES, COMMITS, PULL_REQUESTS}
    everything = _asset_keys(defs, BUILD_WAREHOUSE_JOB)
    assert tail | repositories | dbt_only <= everything
    # One process per run: steps never re-import the project, nor run side by side.
    for job in defs.jobs:
        assert defs.resolve_job_def(job.name).executor_def.name == "in_process", job.name


def test_schedules_start_stopped_and_request_their_jobs(defs):
    schedules = {schedule.name: schedule for schedule in defs.schedules}
    assert {name: (s.job_name, s.cron_schedule) for name, s in schedules.items()} == {
        "exchange_tail_schedule": (EXCHANGE_TAIL_JOB, "5 * * * *"),
        "exchange_archive_schedule": (EXCHANGE_ARCHIVE_JOB, "30 1 * * *"),
        "repositories_schedule": (REPOSITORIES_JOB, "0 2 * * *"),
        "dbt_build_schedule": (DBT_BUILD_JOB, "0 3 * * *"),
    }
    for schedule in schedules.values():
        assert schedule.execution_timezone == "UTC"
        assert schedule.default_status == DefaultScheduleStatus.STOPPED
        with build_schedule_context() as context:
            (request,) = schedule.evaluate_tick(context).run_requests or []
        assert request.job_name in (None, schedule.job_name)


def test_raw_tables_have_freshness_checks_evaluated_by_a_sensor(defs):
    graph = defs.resolve_asset_graph()
    raw_keys = {key for key in graph.get_all_asset_keys() if key.path[0].startswith("raw_")}
    freshness = {
        check
        for check in graph.asset_check_keys
        if check.name == "freshness_check" and check.asset_key in raw_keys
    }
    assert {check.asset_key for check in freshness} == raw_keys
    sensor = next(sensor for sensor in defs.sensors if sensor.name == "raw_freshness_sensor")
    assert set(sensor.asset_selection.resolve_checks(graph)) >= freshness  # type: ignore[union-attr]
    assert AssetCheckKey(KLINES, "freshness_check") in freshness


def _run_exchange(defs, instance, job_name: str):
    job = defs.resolve_job_def(job_name)
    exchange_keys = {
        key for key in job.asset_layer.executable_asset_keys if key.path[0] == "raw_exchange"
    }
    return job.execute_in_process(instance=instance, asset_selection=list(exchange_keys))


def test_tail_job_reads_only_the_rest_and_ccxt_feeds_and_the_archive_job_the_files(defs):
    with DagsterInstance.ephemeral() as instance:
        tail = _run_exchange(defs, instance, EXCHANGE_TAIL_JOB)
        assert tail.success
        with warehouse_cursor() as cursor:
            cursor.execute("select distinct data_source from raw_exchange.klines order by 1")
            assert [row[0] for row in cursor.fetchall()] == ["ccxt", "rest"]
            cursor.execute("select count(*) from raw_exchange.archive_files")
            assert cursor.fetchone()[0] == 0
        archive = _run_exchange(defs, instance, EXCHANGE_ARCHIVE_JOB)
        assert archive.success
        with warehouse_cursor() as cursor:
            cursor.execute("select count(*) from raw_exchange.archive_files")
            files = cursor.fetchone()[0]
            cursor.execute("select count(*) from raw_exchange.klines")
            candles = cursor.fetchone()[0]
        assert files > 0
        # Row counts and timings are recorded with each materialization.
        metadata = instance.get_latest_materialization_event(KLINES).asset_materialization.metadata
        assert metadata["dagster/row_count"].value == candles
        assert metadata["load_seconds"].value > 0


@pytest.fixture
def local_github(tributary_env, monkeypatch):
    """A configured (not demo) GitHub endpoint: a local GitHub serving the demo's world."""
    world = write_demo_world(tributary_env / "world")
    with LocalGitHub(world.world_path) as github:
        monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", github.url)
        monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", json.dumps([world.full_name]))
        monkeypatch.setenv("SOURCES__GITHUB__REQUEST_MAX_ATTEMPTS", "2")
        monkeypatch.setenv("SOURCES__GITHUB__REQUEST_BACKOFF_FACTOR", "0")
        yield github


def _run_github(defs):
    job = defs.resolve_job_def(REPOSITORIES_JOB)
    github_keys = [
        key for key in job.asset_layer.executable_asset_keys if key.path[0] == "raw_github"
    ]
    return job.execute_in_process(
        asset_selection=github_keys,
        run_config={"ops": {"github": {"config": {"first_retry_wait_seconds": 0.2}}}},
        raise_on_error=False,
    )


def _events(result, event_type: DagsterEventType) -> list:
    return [event for event in result.all_events if event.event_type == event_type]


def test_a_source_down_for_longer_than_its_request_retries_is_retried_by_dagster(local_github):
    # Both request attempts of the first run answer 503; the step's retry then succeeds.
    local_github.faults.add("server_error", path_contains="/pulls?", times=2, status=503)
    result = _run_github(assemble_definitions())
    assert result.success
    assert len(_events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    with warehouse_cursor() as cursor:
        cursor.execute("select count(*) from raw_github.pull_requests")
        assert cursor.fetchone()[0] > 0


def test_a_failure_that_retrying_cannot_fix_fails_at_once(local_github, monkeypatch):
    monkeypatch.setenv("SOURCES__GITHUB__REPOSITORIES", json.dumps(["nobody/nothing"]))
    result = _run_github(assemble_definitions())
    assert not result.success
    assert _events(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    (failure,) = _events(result, DagsterEventType.STEP_FAILURE)
    assert "HTTP 404" in failure.step_failure_data.error.to_string()


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (RuntimeError("GET /repos/a/b/pulls: HTTP 503: Service Unavailable"), True),
        (RuntimeError("klines BTCUSDT: HTTP 429: too many requests"), True),
        (RuntimeError("GET /repos/a/b: HTTP 404: Not Found"), False),
        (ValueError("unknown kline interval '7m'"), False),
        (requests.ConnectionError("connection refused"), True),
    ],
)
def test_transient_failures_are_told_apart_through_wrapping_errors(error, transient):
    try:
        try:
            raise error
        except Exception as inner:
            raise RuntimeError("Pipeline execution failed at stage extract") from inner
    except RuntimeError as wrapped:
        assert is_transient(wrapped) is transient


def test_the_manifest_is_parsed_again_only_when_a_dbt_file_or_setting_changed(
    tributary_env, monkeypatch
):
    apply_local_defaults()
    project = tributary_dbt_project()
    ensure_current_manifest(project)
    parsed = project.manifest_path.stat().st_mtime_ns
    ensure_current_manifest(project)
    assert project.manifest_path.stat().st_mtime_ns == parsed  # not parsed again
    # Another folder for the DuckDB file: same database name, the manifest still holds.
    monkeypatch.setenv(
        "TRIBUTARY_DUCKDB_PATH", str(tributary_env / "elsewhere" / "tributary.duckdb")
    )
    assert manifest_is_current(project)
    # A setting the project reads (env_var) or a changed model: parse again.
    monkeypatch.setenv("BI_READER_ROLE", "dashboards")
    assert not manifest_is_current(project)
    monkeypatch.delenv("BI_READER_ROLE")
    assert manifest_is_current(project)
    model = project.project_dir / "models" / "marts" / "markets" / "fct_candles.sql"
    os.utime(model, ns=(parsed + 1_000_000_000, parsed + 1_000_000_000))
    assert not manifest_is_current(project)
    ensure_current_manifest(project)
    assert manifest_is_current(project)
