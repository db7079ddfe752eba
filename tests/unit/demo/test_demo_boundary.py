"""A production run never loads the demo: no ``ingestion`` module imports ``demo``, and the
Dagster definitions, built with real endpoints configured, import it only when a source is left
pointed at the demo. Each check runs in a fresh interpreter, so nothing imported by other tests
counts."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import ingestion

from support.environment import PROJECT_ROOT

REAL_ENDPOINTS = {
    "SOURCES__EXCHANGE__ARCHIVE_BASE_URL": "https://data.binance.vision",
    "SOURCES__GITHUB__BASE_URL": "https://api.github.com",
    "SOURCES__GIT__REPOSITORIES": '["x=/some/repo"]',
}
LIST_DEMO_MODULES = """
import json, sys
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "demo")))
"""


def demo_modules_loaded_by(code: str, environment: dict[str, str]) -> list[str]:
    """The ``demo`` modules loaded once ``code`` has run in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", code + LIST_DEMO_MODULES],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_no_ingestion_module_imports_the_demo(tributary_env) -> None:
    modules = sorted(
        module.name
        for module in pkgutil.walk_packages(ingestion.__path__, "ingestion.")
        if not module.name.endswith(".__main__")  # running a source is not importing it
    )
    assert "ingestion.exchange.source" in modules and "ingestion.github.client" in modules
    code = "".join(f"import {name}\n" for name in modules)
    assert demo_modules_loaded_by(code, dict(os.environ)) == []


def test_definitions_with_real_endpoints_load_no_demo_module(tributary_env) -> None:
    code = """
from orchestration.environment import (
    apply_local_defaults, exchange_endpoints, git_repositories, github_endpoints,
)
apply_local_defaults()
import orchestration.definitions
with exchange_endpoints() as exchange, github_endpoints() as github:
    assert exchange["spot_api_url"] == "https://data-api.binance.vision", exchange
    assert github == {}, github
assert git_repositories() == {"repositories": ["x=/some/repo"]}
"""
    assert demo_modules_loaded_by(code, {**os.environ, **REAL_ENDPOINTS}) == []


def test_a_source_left_at_the_demo_loads_it_when_its_load_starts(tributary_env) -> None:
    code = """
from orchestration.environment import apply_local_defaults, github_endpoints
apply_local_defaults()
with github_endpoints() as github:
    assert github["base_url"].startswith("http://127.0.0.1:"), github
"""
    endpoints = {k: v for k, v in REAL_ENDPOINTS.items() if k != "SOURCES__GITHUB__BASE_URL"}
    loaded = demo_modules_loaded_by(code, {**os.environ, **endpoints})
    assert {"demo.stand_ins", "demo.github.server", "demo.webshop.world"} <= set(loaded)
