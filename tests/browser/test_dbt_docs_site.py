"""The dbt docs site in real Chromium: ``make docs`` on a fresh data folder (no warehouse, so the
site comes from the parsed project: descriptions and lineage, no catalog), a mart found by
search with its description and columns, its lineage graph back to the raw source, and the
single-file build opened from ``file://``.

Screenshots: ``test-artifacts/screenshots/dbt_docs_mart.png``, ``dbt_docs_lineage.png`` and
``dbt_docs_static.png``.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Service, free_port
from support.environment import isolate_environment

MART = "fct_market_daily"
MART_ID = f"model.tributary.{MART}"
PARENT_ID = "model.tributary.int_markets__candles_1m"
RAW_SOURCE_ID = "source.tributary.raw_exchange.klines"
MART_DESCRIPTION = "One row per exchange, market, symbol and UTC day"
MART_COLUMNS = ("trading_date", "close_price", "vwap", "realized_volatility")

DRAWN_GRAPH_JS = """
() => {
  const cy = document.querySelector('#cy')._cyreg.cy;  // the graph cytoscape draws
  return {
    nodes: cy.nodes(':visible').map((n) => n.id()),
    edges: cy.edges(':visible').map((e) => [e.source().id(), e.target().id()]),
  };
}
"""


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory) -> Iterator[Service]:
    """``make docs`` (exactly) on a fresh data folder, writing to a temporary target folder."""
    root = tmp_path_factory.mktemp("dbt_docs")
    port = free_port()
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, root / "data", "duckdb")
        monkeypatch.setenv("DBT_DOCS_PORT", str(port))
        monkeypatch.setenv("DBT_DOCS_TARGET_PATH", str(root / "target"))
        started = time.monotonic()
        service = Service(["/usr/bin/make", "docs"], root / "make_docs.log", port)
        try:
            service.wait_for_http("/manifest.json", timeout=120)
            print(f"make docs serving in {time.monotonic() - started:.1f} s")
            service.target_path = root / "target"  # type: ignore[attr-defined]
            yield service
        finally:
            service.stop()


def test_make_docs_says_what_it_built(docs_site):
    log = docs_site.log_path.read_text()
    assert "no warehouse at" in log and "no catalog" in log, log
    assert f"dbt docs: {docs_site.url}" in log
    assert not (docs_site.target_path.parent / "data" / "tributary.duckdb").exists()
    # Only the site's own files are served, not what else dbt leaves in its target folder.
    assert (docs_site.target_path / "partial_parse.msgpack").exists()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{docs_site.url}/partial_parse.msgpack", timeout=10)
    assert refused.value.code == 404


def test_mart_and_its_lineage_in_the_served_site(docs_site, page, screenshot_dir):
    page.goto(docs_site.url)
    page.get_by_placeholder("Search for models...").fill(MART)
    page.locator(f'.search-result[href="#!/model/{MART_ID}"]').click()
    page.wait_for_url(f"**/#!/model/{MART_ID}")
    page.get_by_text(MART_DESCRIPTION).first.wait_for()
    for column in MART_COLUMNS:
        assert page.get_by_text(column, exact=True).count(), column
    page.screenshot(path=str(screenshot_dir / "dbt_docs_mart.png"))

    page.get_by_title("View Lineage Graph").click()
    page.locator("#cy canvas").first.wait_for()
    page.locator("[ng-click*='ullscreen'], [ng-click*='xpand']").first.click()
    page.wait_for_function(
        f"() => document.querySelector('#cy')._cyreg.cy.$id('{RAW_SOURCE_ID}').visible()"
    )
    page.wait_for_timeout(1000)  # let the layout animation finish for the screenshot
    page.screenshot(path=str(screenshot_dir / "dbt_docs_lineage.png"))
    drawn = page.evaluate(DRAWN_GRAPH_JS)
    edges = {tuple(edge) for edge in drawn["edges"]}
    assert {RAW_SOURCE_ID, PARENT_ID, MART_ID} <= set(drawn["nodes"])
    assert (PARENT_ID, MART_ID) in edges
    assert (RAW_SOURCE_ID, "model.tributary.stg_exchange__klines") in edges


def test_static_single_file_shows_the_mart(docs_site, page, screenshot_dir):
    static = Path(docs_site.target_path) / "static_index.html"
    page.goto(f"{static.as_uri()}#!/model/{MART_ID}")
    page.get_by_text(MART_DESCRIPTION).first.wait_for()
    assert page.get_by_text("realized_volatility", exact=True).count()
    page.screenshot(path=str(screenshot_dir / "dbt_docs_static.png"))
