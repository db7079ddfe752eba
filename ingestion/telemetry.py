"""Usage reports of dlt and dbt: off unless the environment turns them on.

Offline they only slow runs down or hang them. :func:`switch_off_telemetry` is the one place
that says so; every way into Tributary calls it before dlt or dbt start: the pipeline factory
(:func:`ingestion.warehouse.make_pipeline`, so every load, ``python -m ingestion.<source>``,
the benchmarks and the tests) and :func:`orchestration.environment.apply_local_defaults`
(``make run``, ``make ui``, ``make docs`` and the Dagster code location, which run dbt).
Dagster's own telemetry is off in ``orchestration/dagster.yaml``, dbt's also in
``dbt_project.yml`` (``send_anonymous_usage_stats: false``).
"""

import os

TELEMETRY_OFF = {"RUNTIME__DLTHUB_TELEMETRY": "false", "DO_NOT_TRACK": "1"}
"""dlt's switch, and the cross-tool one that dbt honours."""


def switch_off_telemetry() -> None:
    """Switch dlt's and dbt's telemetry off for this process and what it starts, unless the
    environment already decides."""
    for variable, value in TELEMETRY_OFF.items():
        os.environ.setdefault(variable, value)
