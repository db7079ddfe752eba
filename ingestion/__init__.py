"""dlt pipelines that load Tributary's raw data: ``exchange`` (market data) and ``git`` (history).

Telemetry is off unless you turn it on: offline it only slows runs down or hangs them.
"""

import os

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
