"""The dbt unit tests (hand-worked values for every metric) on each warehouse's SQL dialect.

No load is needed: the raw tables are created empty from the dlt sources' declarations, dbt
builds every model empty (``--empty``), and the unit tests bring their own rows.
"""

import json
from pathlib import Path

from ingestion.local_postgres import ensure_local_postgres
from orchestration.environment import apply_local_defaults

from support.environment import isolate_environment, on_each_warehouse
from support.raw_schemas import create_empty_raw_tables
from support.warehouse import dbt_cli_target, run_dbt


@on_each_warehouse
def test_dbt_unit_tests_pass(warehouse, monkeypatch, tmp_path):
    isolate_environment(monkeypatch, tmp_path / "data", warehouse)
    apply_local_defaults()
    ensure_local_postgres()
    create_empty_raw_tables()
    # Models and seeds build empty first: a unit test of an incremental model reads the columns
    # of its `this` fixture from the model's table. Then the unit tests bring their own rows.
    # The file log at debug level holds the schema listings (ListRelations) checked below.
    logs = tmp_path / "logs"
    run_dbt(warehouse, "build", "--empty", "--exclude-resource-type", "test",
            "--exclude-resource-type", "unit_test",
            "--log-path", str(logs), "--log-format-file", "json",
            "--log-level-file", "debug")  # fmt: skip
    target = dbt_cli_target(warehouse)
    manifest = json.loads((target / "manifest.json").read_text())
    assert_source_schemas_listed_before_the_threads(manifest, logs / "dbt.log")
    run_dbt(warehouse, "test", "--select", "test_type:unit")
    unit_tests = manifest["unit_tests"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert len(unit_tests) >= 50 and passed >= set(unit_tests)


def assert_source_schemas_listed_before_the_threads(manifest: dict, log: Path) -> None:
    """The on-run-start hook lists every source schema (macros/optional_source.sql): a node
    thread that listed one itself could race another and take a loaded raw table for missing."""
    schemas = {source["schema"] for source in manifest["sources"].values()}
    events = [json.loads(line) for line in log.read_text().splitlines() if "ListRelations" in line]
    listed = {
        (event["data"]["schema"], event["info"]["thread"])
        for event in events
        if event["info"]["name"] == "ListRelations" and event["data"]["schema"] in schemas
    }
    assert {schema for schema, _ in listed} == schemas, listed
    assert {thread for _, thread in listed} == {"MainThread"}, listed
