"""The Dagster definitions: one connected lineage graph from dlt resources to dbt marts."""

import json
import os
import subprocess
import sys

import pytest
from dagster import AssetKey

from orchestration.assembly import assemble_definitions
from orchestration.dbt_assets import tributary_dbt_project
from orchestration.environment import prepare_dagster_home
from orchestration.jobs import BUILD_WAREHOUSE_JOB

from support.environment import isolate_environment


@pytest.fixture(scope="module")
def asset_graph(tmp_path_factory):
    """The definitions as ``make run`` loads them, built once for the module's tests."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, tmp_path_factory.mktemp("defs") / "data", "duckdb")
        defs = assemble_definitions()
        yield defs, defs.resolve_asset_graph()


def _kinds(node) -> set[str]:
    return {tag.split("/", 2)[-1] for tag in node.tags if tag.startswith("dagster/kind/")}


def test_every_dbt_source_is_loaded_by_a_dlt_asset(asset_graph):
    _, graph = asset_graph
    dlt_keys = {key for key in graph.get_all_asset_keys() if "dlt" in _kinds(graph.get(key))}
    manifest = json.loads(tributary_dbt_project().manifest_path.read_text())
    source_keys = {
        AssetKey(
            source["meta"].get("dagster", {}).get("asset_key")
            or [source["source_name"], source["name"]]
        )
        for source in manifest["sources"].values()
    }
    assert dlt_keys == source_keys
    raw_tables = {
        "raw_exchange": ["klines", "funding_rates", "archive_files", "rejected_rows"],
        "raw_git": [
            "repositories", "commits", "commit_files", "tags", "branches",
            "default_branch_commits",
        ],
        "raw_github": [
            "pull_requests", "pull_request_reviews", "pull_request_commits", "issues",
            "releases", "deployments", "deployment_statuses", "workflow_runs",
        ],
        # Loaded by dlt too: what each deployment shipped, from the commit-graph walk.
        "commit_graph": ["deployment_commits"],
    }  # fmt: skip
    assert dlt_keys == {
        AssetKey([dataset, table]) for dataset, tables in raw_tables.items() for table in tables
    }
    # Nothing in the graph is an external (unmaterializable) stand-in for a source.
    assert all(graph.get(key).is_materializable for key in graph.get_all_asset_keys())


def _seed_keys() -> set[AssetKey]:
    manifest = json.loads(tributary_dbt_project().manifest_path.read_text())
    return {
        AssetKey([node["config"]["schema"], node["name"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "seed"
    }


def test_every_root_upstream_of_a_dbt_asset_is_a_dlt_asset_or_a_seed(asset_graph):
    _, graph = asset_graph
    seeds = _seed_keys()
    assert AssetKey(["reference", "quote_assets"]) in seeds
    dbt_keys = [key for key in graph.get_all_asset_keys() if "dbt" in _kinds(graph.get(key))]
    assert AssetKey(["marts", "fct_market_daily"]) in dbt_keys
    for key in dbt_keys:
        for ancestor in _ancestors(graph, key):
            node = graph.get(ancestor)
            if not node.parent_keys:
                assert "dlt" in _kinds(node) or ancestor in seeds, f"{key} has root {ancestor}"


def _ancestors(graph, key):
    seen, stack = set(), [key]
    while stack:
        for parent in graph.get(stack.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def test_marts_descend_from_their_raw_tables(asset_graph):
    _, graph = asset_graph
    assert AssetKey(["raw_exchange", "klines"]) in _ancestors(
        graph, AssetKey(["marts", "fct_market_daily"])
    )
    assert AssetKey(["raw_git", "commit_files"]) in _ancestors(
        graph, AssetKey(["marts", "fct_commits"])
    )


def test_the_commit_graph_walk_runs_between_the_deployments_and_what_they_shipped(asset_graph):
    """dbt decides the deployments, the walk reads them and the commits, dbt reads its result;
    a job with both dbt parts runs them as two steps with the walk in between."""
    defs, graph = asset_graph
    walk = AssetKey(["commit_graph", "deployment_commits"])
    assert graph.get(walk).parent_keys == {
        AssetKey(["intermediate", "int_engineering__deployments"]),
        AssetKey(["raw_git", "commits"]),
    }
    assert walk in _ancestors(
        graph, AssetKey(["intermediate", "int_engineering__deployment_commits"])
    )
    assert walk in _ancestors(graph, AssetKey(["marts", "fct_dora_weekly"]))
    assert walk not in _ancestors(graph, AssetKey(["marts", "fct_market_daily"]))
    steps = [node.name for node in defs.resolve_job_def(BUILD_WAREHOUSE_JOB).graph.node_defs]
    assert {"dbt_models", "commit_graph__deployment_commits", "dbt_models_after_walk"} <= set(steps)


def test_dbt_tests_are_asset_checks_and_writers_share_one_pool(asset_graph):
    defs, graph = asset_graph
    check_keys = graph.asset_check_keys
    assert any(check.asset_key == AssetKey(["marts", "fct_market_daily"]) for check in check_keys)
    # Current rejected archive lines warn, as a check on the mart that lists them.
    assert any(
        check.asset_key == AssetKey(["marts", "fct_rejected_rows"])
        and check.name.startswith("no_rows_matching")
        for check in check_keys
    )
    # Three loads, dbt in two parts, the commit-graph walk, the BI copy.
    assert [assets_def.node_def.pools for assets_def in defs.assets] == [{"warehouse"}] * 7
    job = defs.resolve_job_def(BUILD_WAREHOUSE_JOB)
    assert job.executor_def.name == "in_process"


def test_dagster_definitions_validate(tributary_env):
    prepare_dagster_home()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-m",
            "orchestration.definitions",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
