"""The Dagster UI in real Chromium: ``make ui`` on an isolated data folder, the lineage from a dlt
asset to a mart as the UI draws it, and a materialization launched from the UI until it succeeds.

Screenshots: ``test-artifacts/screenshots/dagster_asset_graph.png`` and
``dagster_run_success.png``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import Service, free_port
from support.environment import isolate_environment

MART = "marts/fct_market_daily"
RAW = "raw_exchange/klines"
CHEAP_DLT_ASSET = "raw_github/releases"
"""Loaded from the demo's local GitHub in seconds, on an empty warehouse."""
DEFINITIONS_TIMEOUT = 150
RUN_TIMEOUT = 240

GRAPH_JS = """
() => {
  // Asset nodes (not group boxes) are the foreignObjects drawn with visible overflow.
  const nodes = [...document.querySelectorAll('foreignObject')]
    .filter((f) => f.style.overflow === 'visible')
    .map((f) => {
      const link = f.querySelector('a[href^="/assets/"]');
      const title = f.querySelector('[data-tooltip]');
      return {
        x: +f.getAttribute('x'), y: +f.getAttribute('y'),
        w: +f.getAttribute('width'), h: +f.getAttribute('height'),
        key: link ? decodeURIComponent(link.getAttribute('href').split('?')[0].slice(8)) : null,
        name: title ? title.getAttribute('data-tooltip') : null,
        kinds: [...f.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label')),
      };
    });
  // Edges run from the right side of one node to an arrow head at the left side of another.
  const edges = [...document.querySelectorAll('path[marker-end]')].map((p) => {
    const n = p.getAttribute('d').match(/-?[0-9.]+/g).map(Number);
    return [n[0], n[1], n[n.length - 2], n[n.length - 1]];
  });
  return {nodes, edges};
}
"""


def graphql(service: Service, query: str, **variables: Any) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"{service.url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer
    return answer["data"]


LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
RELOAD = """
mutation ($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename } }
"""
ASSET_KEYS = "{ assetNodes { assetKey { path } } }"


def wait_for_definitions(service: Service) -> None:
    """Wait until the code location has loaded with the mart in it. A load error is retried
    (reloading the location) until the deadline, then reported with its message."""
    deadline = time.monotonic() + DEFINITIONS_TIMEOUT
    error, last_reload = "", time.monotonic()
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            pytest.fail(f"`make ui` exited:\n{service.log_tail()}")
        entries = graphql(service, LOCATIONS)["workspaceOrError"]["locationEntries"]
        loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
        if loaded and all(e["locationOrLoadError"]["__typename"] != "PythonError" for e in loaded):
            keys = {
                "/".join(n["assetKey"]["path"]) for n in graphql(service, ASSET_KEYS)["assetNodes"]
            }
            assert {MART, RAW, CHEAP_DLT_ASSET} <= keys, sorted(keys)
            return
        for entry in loaded:
            if entry["locationOrLoadError"]["__typename"] == "PythonError":
                error = entry["locationOrLoadError"]["message"]
                if time.monotonic() - last_reload > 30:
                    graphql(service, RELOAD, name=entry["name"])
                    last_reload = time.monotonic()
        time.sleep(1)
    pytest.fail(
        f"definitions did not load in {DEFINITIONS_TIMEOUT} s: {error}\n{service.log_tail()}"
    )


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory) -> Iterator[Service]:
    """``make ui`` (exactly) on a fresh data folder and a free port, stopped by process id."""
    data_dir = tmp_path_factory.mktemp("dagster_ui") / "data"
    port = free_port()
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, data_dir, "duckdb")
        monkeypatch.setenv("DAGSTER_PORT", str(port))
        started = time.monotonic()
        service = Service(["/usr/bin/make", "ui"], data_dir.parent / "make_ui.log", port)
        try:
            service.wait_for_http("/server_info", timeout=DEFINITIONS_TIMEOUT)
            wait_for_definitions(service)
            print(f"make ui ready in {time.monotonic() - started:.1f} s")
            service.data_dir = data_dir  # type: ignore[attr-defined]
            yield service
        finally:
            stopping = time.monotonic()
            service.stop()
            print(f"make ui stopped in {time.monotonic() - stopping:.1f} s")


def open_ui(page, service: Service) -> None:
    """Open the UI; dismiss the community dialog whenever it shows up."""
    page.add_locator_handler(
        page.get_by_role("button", name="Skip", exact=True), lambda skip: skip.click()
    )
    page.goto(service.url)


def open_asset_from_catalog(page, key: str) -> None:
    """Catalog, search the asset's name, open its page (as a user would).

    The community dialog can pop up while the name is typed and take the keystrokes; then
    the search is typed again (the catalog lists too many assets to show this one unsearched).
    """
    page.get_by_role("link", name=re.compile(r"Catalog$")).click()
    link = page.locator(f'a[href="/assets/{key}"]').first
    for _ in range(3):
        page.locator(".CodeMirror").first.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(key.rsplit("/", 1)[-1])
        page.keyboard.press("Enter")
        page.mouse.click(900, 20)  # close the search suggestions
        try:
            link.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    link.click()
    page.wait_for_url(re.compile(f"/assets/{re.escape(key)}"))


def rendered_edges(graph: dict[str, Any]) -> set[tuple[str, str]]:
    """(upstream, downstream) asset keys of each edge drawn, matched to nodes by geometry."""

    def node_at(x: float, y: float, side: str) -> str | None:
        for node in graph["nodes"]:
            edge_x = node["x"] + node["w"] if side == "right" else node["x"]
            if abs(edge_x - x) <= 8 and node["y"] <= y <= node["y"] + node["h"]:
                return node["key"] or node["name"]
        return None

    edges = set()
    for x1, y1, x2, y2 in graph["edges"]:
        source, target = node_at(x1, y1, "right"), node_at(x2, y2, "left")
        if source and target:
            edges.add((source, target))
    return edges


def reaches(edges: set[tuple[str, str]], start: str, goal: str) -> bool:
    seen, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for source, target in edges:
            if source == current and target not in seen:
                seen.add(target)
                frontier.append(target)
    return goal in seen


def test_asset_graph_connects_dlt_asset_to_mart(dagster_ui, page, screenshot_dir):
    open_ui(page, dagster_ui)
    open_asset_from_catalog(page, MART)
    page.get_by_role("tab", name="Lineage").click()
    page.get_by_role("button", name=re.compile(r"Upstream$")).click()
    page.get_by_role("button", name="All", exact=True).click()
    page.locator(f'foreignObject a[href^="/assets/{RAW}"]').first.wait_for()
    page.wait_for_timeout(500)  # let the layout settle before reading coordinates
    page.screenshot(path=str(screenshot_dir / "dagster_asset_graph.png"))

    graph = page.evaluate(GRAPH_JS)
    nodes = {node["key"]: node for node in graph["nodes"]}
    assert {RAW, MART} <= nodes.keys(), sorted(nodes)
    assert "dlt" in nodes[RAW]["kinds"]
    assert "dbt" in nodes[MART]["kinds"]
    edges = rendered_edges(graph)
    assert len(edges) == len(graph["edges"]), (edges, graph["edges"])
    assert reaches(edges, RAW, MART), sorted(edges)
    # The raw table feeds its staging model directly, as drawn.
    assert (RAW, "staging/stg_exchange__klines") in edges


RUN_STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
LATEST_MATERIALIZATION = """
query ($path: [String!]!) { assetOrError(assetKey: {path: $path}) { ... on Asset {
    assetMaterializations(limit: 1) { runId } } } }
"""


def launch_materialization(page) -> None:
    """Click Materialize; confirm a launchpad or dialog if one opens."""
    page.get_by_role("button", name=re.compile(r"Materialize$")).first.click()
    toast = page.get_by_role("link", name="View", exact=True)
    confirm = page.get_by_role("dialog").get_by_role(
        "button", name=re.compile(r"^(Materialize|Launch)")
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if toast.count():
            return
        if confirm.count():
            confirm.first.click()
        page.wait_for_timeout(250)
    pytest.fail("no run was launched (no 'Launched run' message)")


def test_materialize_from_ui_until_success(dagster_ui, page, screenshot_dir):
    open_ui(page, dagster_ui)
    open_asset_from_catalog(page, CHEAP_DLT_ASSET)
    launch_materialization(page)
    page.get_by_role("link", name="View", exact=True).first.click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = page.url.rsplit("/runs/", 1)[1].split("?")[0]

    started = time.monotonic()
    outcome = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    outcome.wait_for(timeout=RUN_TIMEOUT * 1000)
    print(f"run {run_id[:8]}: {outcome.inner_text()} after {time.monotonic() - started:.1f} s")
    page.screenshot(path=str(screenshot_dir / "dagster_run_success.png"))
    assert outcome.inner_text() == "Success"

    # Belt and braces: the instance agrees, the asset's latest materialization is this run,
    # and the warehouse has the rows.
    assert graphql(dagster_ui, RUN_STATUS, id=run_id)["runOrError"]["status"] == "SUCCESS"
    asset = graphql(dagster_ui, LATEST_MATERIALIZATION, path=CHEAP_DLT_ASSET.split("/"))
    assert asset["assetOrError"]["assetMaterializations"][0]["runId"] == run_id
    warehouse = dagster_ui.data_dir / "tributary.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (rows,) = connection.execute("select count(*) from raw_github.releases").fetchone()
    assert rows > 0


SCHEDULE_STATE = """
query ($name: String!) { scheduleOrError(scheduleSelector: {
    repositoryLocationName: "orchestration.definitions", repositoryName: "__repository__",
    scheduleName: $name}) { ... on Schedule { scheduleState { status } } } }
"""


def schedule_status(service: Service, name: str) -> str:
    return graphql(service, SCHEDULE_STATE, name=name)["scheduleOrError"]["scheduleState"]["status"]


def test_schedules_are_listed_and_switched_on_and_off_in_the_ui(dagster_ui, page, screenshot_dir):
    name = "exchange_tail_schedule"
    assert schedule_status(dagster_ui, name) == "STOPPED"
    open_ui(page, dagster_ui)
    page.goto(f"{dagster_ui.url}/locations/orchestration.definitions/schedules/{name}")
    page.get_by_text("5 * * * *").first.wait_for()
    # The "Running" switch: a styled label around a hidden checkbox.
    switch = page.locator("label:has(input[type=checkbox])").first
    switch.click()
    deadline = time.monotonic() + 30
    while schedule_status(dagster_ui, name) != "RUNNING" and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    page.screenshot(path=str(screenshot_dir / "dagster_schedule_running.png"))
    assert schedule_status(dagster_ui, name) == "RUNNING"
    switch.click()
    deadline = time.monotonic() + 30
    while schedule_status(dagster_ui, name) != "STOPPED" and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert schedule_status(dagster_ui, name) == "STOPPED"


LAUNCH_RUN = """
mutation ($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }
"""
RUN_TIMES = """
query ($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }
"""


def launch_asset_run(service: Service, key: str) -> str:
    """Launch a materialization of ``key`` as the UI's Materialize button does."""
    params = {
        "selector": {
            "repositoryLocationName": "orchestration.definitions",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": key.split("/")}],
        },
        "runConfigData": {},
    }
    launched = graphql(service, LAUNCH_RUN, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


RUN_ERRORS = """
query ($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
    events { ... on MessageEvent { message level } } } } }
"""


def run_errors(service: Service, *run_ids: str) -> dict[str, list[str]]:
    """The error-level messages of each run, so a failed assertion says why a run failed."""
    return {
        run_id: [
            event["message"]
            for event in graphql(service, RUN_ERRORS, id=run_id)["logsForRun"]["events"]
            if event.get("level") == "ERROR"
        ]
        for run_id in run_ids
    }


def test_a_second_launched_run_waits_for_the_first_instead_of_failing(dagster_ui):
    """Both runs write the same DuckDB file: the queue holds the second until the first ends."""
    first = launch_asset_run(dagster_ui, CHEAP_DLT_ASSET)
    second = launch_asset_run(dagster_ui, CHEAP_DLT_ASSET)
    seen: set[str] = set()
    runs: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        runs = {
            run: graphql(dagster_ui, RUN_TIMES, id=run)["runOrError"] for run in (first, second)
        }
        if runs[first]["status"] in ("STARTING", "STARTED"):
            assert runs[second]["status"] == "QUEUED", runs
            seen.add("held while the first ran")
        if all(run["status"] in ("SUCCESS", "FAILURE", "CANCELED") for run in runs.values()):
            break
        time.sleep(0.5)
    statuses = [runs[first]["status"], runs[second]["status"]]
    assert statuses == ["SUCCESS", "SUCCESS"], (runs, run_errors(dagster_ui, first, second))
    assert seen, "the first run was never seen running"
    assert runs[second]["startTime"] >= runs[first]["endTime"]
