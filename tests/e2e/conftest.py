"""Fixtures of the end-to-end tier: a whole Tributary environment on the test's warehouse."""

from pathlib import Path

import pytest

from ingestion.local_postgres import ensure_local_postgres
from orchestration.environment import apply_local_defaults

from support.environment import isolate_environment


@pytest.fixture
def warehouse_env(warehouse: str, monkeypatch, tmp_path) -> Path:
    """The small demo's settings on ``warehouse`` (a parameter of the test) under
    ``tmp_path / "data"``, with the local defaults applied and, on Postgres, a local server."""
    isolate_environment(monkeypatch, tmp_path / "data", warehouse)
    apply_local_defaults()
    ensure_local_postgres()
    return tmp_path / "data"
