"""Fixtures of the dbt tier: the project's manifest as Dagster parses it."""

import json

import pytest

from orchestration.dbt_assets import ensure_current_manifest, tributary_dbt_project
from orchestration.environment import apply_local_defaults

from support.environment import isolate_environment


@pytest.fixture(scope="session")
def manifest(tmp_path_factory) -> dict:
    """The parsed project (``manifest.json``) for DuckDB, parsed only if a dbt file changed."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_environment(monkeypatch, tmp_path_factory.mktemp("dbt") / "data", "duckdb")
        apply_local_defaults()
        return json.loads(ensure_current_manifest(tributary_dbt_project()).read_text())
