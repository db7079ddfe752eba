"""Start the Dagster UI on 127.0.0.1 with the project's own instance.

``python -m orchestration.ui``

This is ``make ui``; ``DAGSTER_PORT`` picks the port (default 3000).
"""

import os
import sys

from dagster import DagsterInstance

from ingestion.local_postgres import ensure_local_postgres
from orchestration.environment import apply_local_defaults, prepare_dagster_home
from orchestration.guidance import guidance
from orchestration.preflight import check_sources
from orchestration.stale_runs import announce_released_runs


def main() -> None:
    apply_local_defaults()
    try:
        # A bad setting stops here with what to do, not as a code-location error in the UI.
        check_sources()
    except Exception as error:
        advice = guidance(error)
        if advice is None:
            raise
        sys.exit(f"make ui stopped: {advice}")
    home = prepare_dagster_home()
    with DagsterInstance.get() as instance:
        announce_released_runs(instance)
    # Start a local Postgres here (when configured so), so the UI's code server reuses it.
    ensure_local_postgres()
    port = os.environ.get("DAGSTER_PORT", "3000")
    print(f"Dagster instance (runs, logs): {home}")
    print(f"Dagster UI: http://127.0.0.1:{port} (stop with Ctrl+C)", flush=True)
    os.execvp(
        "dagster",
        ["dagster", "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", port],
    )


if __name__ == "__main__":
    main()
