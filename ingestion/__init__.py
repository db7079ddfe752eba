"""dlt pipelines that load Tributary's raw data: ``exchange`` (market data) and ``git`` (history).

Telemetry is off unless you turn it on: offline it only slows runs down or hangs them.
"""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Arrow tables get dlt's load id column too, so dbt can process only what a load added.
os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
