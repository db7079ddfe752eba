"""A run that takes the ``warehouse`` pool's slot and keeps it until it is killed.

``python tests/e2e/pool_holder.py`` in a Tributary environment (``DAGSTER_HOME`` set up
by ``prepare_dagster_home``): it runs one asset of the pool the way ``make run`` runs its job
(in process, tagged with its process) and prints ``holding`` once it has the slot.
"""

import time

from dagster import DagsterInstance, Definitions, asset, define_asset_job

from orchestration.dlt_assets import WAREHOUSE_POOL
from orchestration.stale_runs import process_tags


@asset(pool=WAREHOUSE_POOL)
def holds_the_warehouse() -> None:
    print("holding", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    definitions = Definitions(
        assets=[holds_the_warehouse], jobs=[define_asset_job("hold_the_warehouse", "*")]
    )
    with DagsterInstance.get() as instance:
        definitions.resolve_job_def("hold_the_warehouse").execute_in_process(
            instance=instance, tags=process_tags()
        )
