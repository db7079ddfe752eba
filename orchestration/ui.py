"""Start the Dagster UI on 127.0.0.1 with the project's own instance.

``python -m orchestration.ui``

This is ``make ui``; ``DAGSTER_PORT`` picks the port (default 3000).
"""

import os

from ingestion.warehouse import ensure_local_postgres
from orchestration.environment import apply_local_defaults, prepare_dagster_home


def main() -> None:
    apply_local_defaults()
    prepare_dagster_home()
    # Start a local Postgres here (when configured so), so the UI's code server reuses it.
    ensure_local_postgres()
    port = os.environ.get("DAGSTER_PORT", "3000")
    print(f"Dagster UI: http://127.0.0.1:{port} (stop with Ctrl+C)")
    os.execvp(
        "dagster",
        ["dagster", "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", port],
    )


if __name__ == "__main__":
    main()
