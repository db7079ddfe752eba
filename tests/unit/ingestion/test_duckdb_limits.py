"""DuckDB's limits (memory, threads, the folder it spills to) are settings that the DuckDB
connections of a run take: dlt's, dbt's and Tributary's own cursor."""

import json

import dlt
import duckdb

from ingestion.warehouse import DuckDBSettings, dlt_pipeline, warehouse_cursor
from orchestration.dbt_assets import tributary_dbt_project
from orchestration.dbt_cli import dbt_resource
from orchestration.environment import apply_local_defaults

LIMITS = (
    "select current_setting('memory_limit'), current_setting('threads'), "
    "current_setting('temp_directory')"
)


def test_every_connection_takes_the_limits(tributary_env, monkeypatch):
    spill = tributary_env / "spill"
    monkeypatch.setenv("TRIBUTARY_DUCKDB_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("TRIBUTARY_DUCKDB_THREADS", "1")
    monkeypatch.setenv("TRIBUTARY_DUCKDB_TEMP_DIRECTORY", str(spill))
    apply_local_defaults()
    with duckdb.connect(config=DuckDBSettings.from_env().config()) as reference:
        expected = reference.execute(LIMITS).fetchone()
    assert expected[1:] == (1, str(spill))

    pipeline = dlt_pipeline("limits_probe")
    pipeline.run(dlt.resource([{"id": 1}], name="probe"))
    with pipeline.sql_client() as client:
        assert tuple(client.execute_sql(LIMITS)[0]) == expected

    with warehouse_cursor() as cursor:
        cursor.execute(LIMITS)
        assert cursor.fetchone() == expected

    invocation = dbt_resource(tributary_dbt_project()).cli(
        ["show", "--inline", LIMITS, "--output", "json"]
    )
    shown = []
    for message in invocation.stream_raw_events():
        if message.raw_event["info"]["name"] == "ShowNode":
            shown.extend(json.loads(message.raw_event["data"]["preview"]))
    assert [tuple(row.values()) for row in shown] == [expected]
