"""The dbt CLI resource runs dbt and nothing else: no ``dbt --version`` process (which also asks
PyPI for the latest release) and no dbt adapter inside the Dagster process."""

import os
import subprocess
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

from packaging.version import Version

from orchestration.dbt_assets import tributary_dbt_project
from orchestration.dbt_cli import dbt_resource


def test_the_dbt_version_is_that_of_the_installed_dbt_core(tributary_env):
    resource = dbt_resource(tributary_dbt_project())
    assert resource._cli_version == Version(installed_version("dbt-core"))


def test_an_invocation_starts_dbt_alone_and_opens_no_adapter(tributary_env, monkeypatch):
    started: list[list[str]] = []
    popen = subprocess.Popen

    def recording_popen(args, *rest, **options):
        started.append([str(arg) for arg in args])
        return popen(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    tributary_env.mkdir(parents=True)  # the folder of the DuckDB file dbt debug connects to
    invocation = dbt_resource(tributary_dbt_project()).cli(["debug", "--connection"])
    invocation.wait()
    assert invocation.is_successful()
    assert [command[1:3] for command in started] == [["debug", "--connection"]]
    assert invocation.adapter is None


def test_the_dbt_beside_this_python_is_found_when_python_was_started_by_a_relative_path(
    tributary_env, monkeypatch
):
    """``PATH=.venv/bin:$PATH python ...`` makes ``sys.executable`` relative; dbt runs in the
    project folder, where that relative path names nothing."""
    relative = os.path.relpath(sys.executable)
    monkeypatch.setattr(sys, "executable", relative)
    executable = Path(dbt_resource(tributary_dbt_project()).dbt_executable)
    assert executable.is_absolute() and executable.is_file()
