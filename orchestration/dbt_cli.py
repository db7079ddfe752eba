"""The dbt CLI resource: dagster-dbt's, without two costs of every invocation that Tributary
does not need."""

import sys
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dbt.version import __version__ as dbt_version
from packaging import version


class TributaryDbtCli(DbtCliResource):
    """``DbtCliResource`` as it comes, except that

    - the dbt version is that of the dbt-core package installed beside dagster-dbt, whose
      ``dbt`` the resource runs (:func:`dbt_resource`), instead of the output of a
      ``dbt --version`` process started for every run (about 4 CPU seconds each on a 2-core
      machine, and a request to PyPI);
    - no dbt adapter is opened inside the Dagster process for each invocation (about 2 CPU
      seconds each, loading dbt's profile, project and macros). dagster-dbt uses it only for
      ``fetch_row_counts`` and ``fetch_column_metadata``, which Tributary does not call: the row
      counts come from its own connection (:func:`orchestration.dbt_assets.stream_with_row_counts`).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version)

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None


def dbt_resource(project: DbtProject) -> TributaryDbtCli:
    """The resource for ``project`` on its target, running the ``dbt`` beside this Python."""
    return TributaryDbtCli(
        project_dir=project,
        target=project.target,
        dbt_executable=str(Path(sys.executable).absolute().with_name("dbt")),
    )
