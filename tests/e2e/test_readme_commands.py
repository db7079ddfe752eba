"""The README's commands, run as it writes them: ``make run WAREHOUSE=postgres`` on a machine
with no Postgres settings builds the warehouse on a local pgserver it starts itself.

The environment is a clean one (no ``POSTGRES_*``, no source settings but the small demo's
symbols and start date, which keep the test short), with its own data folder.
"""

import os
import subprocess

import pytest

from support.environment import PROJECT_ROOT, SMALL_DEMO

KEPT = ("PATH", "HOME", "LANG", "TMPDIR", "CHROMIUM")
"""Variables a shell on a fresh machine has; everything Tributary reads is left out."""


@pytest.mark.postgres
def test_make_run_warehouse_postgres_as_the_readme_writes_it(tmp_path):
    environment = {name: os.environ[name] for name in KEPT if name in os.environ}
    environment.update(SMALL_DEMO, TRIBUTARY_DATA_DIR=str(tmp_path / "data"))

    result = subprocess.run(
        ["make", "run", "WAREHOUSE=postgres"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert f"into Postgres database 'postgres' at {tmp_path / 'data' / 'postgres'}" in output
    assert "Tributary warehouse built on postgres in" in result.stdout
    assert "marts.fct_candles" in result.stdout and "marts.fct_dora_weekly" in result.stdout
    assert "Traceback" not in output
