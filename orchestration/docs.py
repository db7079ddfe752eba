"""Generate the dbt docs site and serve it on 127.0.0.1: ``python -m orchestration.docs``.

This is ``make docs``; ``DBT_DOCS_PORT`` picks the port (default 8080). Besides the served site,
``dbt_project/target/<warehouse>/static_index.html`` is a single self-contained file to share.
"""

import os
import subprocess
import sys

from ingestion.warehouse import PROJECT_ROOT, ensure_local_postgres
from orchestration.dbt_assets import DBT_PROJECT_DIR, tributary_dbt_project
from orchestration.environment import apply_local_defaults


def main() -> int:
    apply_local_defaults()
    ensure_local_postgres()
    project = tributary_dbt_project()
    common = [
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROJECT_ROOT),
        "--target", str(project.target), "--target-path", str(project.target_path),
    ]  # fmt: skip
    generated = subprocess.run(["dbt", "docs", "generate", "--static", *common], check=False)
    if generated.returncode != 0:
        print("dbt docs generate failed; run `make run` first to build the warehouse.")
        return generated.returncode
    port = os.environ.get("DBT_DOCS_PORT", "8080")
    print(f"dbt docs: http://127.0.0.1:{port} (stop with Ctrl+C)")
    serve = ["dbt", "docs", "serve", "--host", "127.0.0.1", "--port", port, "--no-browser"]
    return subprocess.run([*serve, *common], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
