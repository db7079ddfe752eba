"""Generate the dbt docs site and serve it on 127.0.0.1: ``python -m orchestration.docs``.

This is ``make docs``. ``DBT_DOCS_PORT`` picks the port (default 8080) and ``DBT_DOCS_TARGET_PATH``
the folder the site is written to (default ``dbt_project/target/<warehouse>``). Besides the
served site, ``static_index.html`` in that folder is a single self-contained file to share.

On a built warehouse the site has everything: descriptions, lineage, compiled SQL and the
catalog (column types, row counts). On a warehouse not built yet (a fresh data folder), it is
generated from the parsed project alone (``dbt parse``, then ``dbt docs generate --no-compile
--empty-catalog``): every model, column description and the lineage graph, without compiled SQL
or column types, and without touching the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingestion.local_postgres import ensure_local_postgres
from ingestion.warehouse import PROJECT_ROOT, duckdb_path, warehouse_kind
from orchestration.dbt_assets import DBT_PROJECT_DIR, tributary_dbt_project
from orchestration.environment import apply_local_defaults
from orchestration.summary import table_row_counts

SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
"""What the server hands out: the site and the two files it loads, and the single-file build."""


def docs_target_path() -> Path:
    """The folder the site is written to: ``DBT_DOCS_TARGET_PATH`` or the project's target."""
    configured = os.environ.get("DBT_DOCS_TARGET_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    return DBT_PROJECT_DIR / tributary_dbt_project().target_path


def warehouse_state() -> str | None:
    """None when the marts are built; otherwise why the catalog cannot be read."""
    if warehouse_kind() == "duckdb" and not duckdb_path().exists():
        return f"no warehouse at {duckdb_path()} yet (`make run` builds it)"
    try:
        if table_row_counts(("marts",)):
            return None
    except Exception as error:  # no DuckDB file yet, a writer holds its lock, no server...
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return f"the warehouse cannot be read ({first_line})"
    return "the warehouse has no marts yet (`make run` builds them)"


def dbt(*args: str, target_path: Path) -> int:
    """Run the dbt CLI on the configured target, writing to ``target_path``."""
    common = [
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROJECT_ROOT),
        "--target", str(tributary_dbt_project().target), "--target-path", str(target_path),
    ]  # fmt: skip
    return subprocess.run(["dbt", *args, *common], check=False).returncode


def generate(target_path: Path) -> int:
    """Write the site (``index.html``, ``manifest.json``, ``catalog.json``) and
    ``static_index.html`` into ``target_path``; returns dbt's exit code."""
    reason = warehouse_state()
    if reason is None:
        print("Generating the dbt docs with the warehouse's catalog...")
        return dbt("docs", "generate", "--static", target_path=target_path)
    print(f"Note: {reason}.")
    print("Generating the dbt docs from the project alone: descriptions and lineage, no catalog.")
    parsed = dbt("parse", "--quiet", target_path=target_path)
    if parsed != 0:
        return parsed
    return dbt(
        "docs", "generate", "--static", "--no-compile", "--empty-catalog", target_path=target_path
    )


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the site's files from the target folder, and nothing else that dbt writes there."""

    def do_GET(self) -> None:
        name = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/") or "index.html"
        if name not in SITE_FILES:
            self.send_error(404, "Not part of the dbt docs site")
            return
        self.path = f"/{name}"
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a page load is four requests."""


def serve(target_path: Path, port: int) -> None:
    """Serve the site on 127.0.0.1 until interrupted."""
    handler = partial(SiteHandler, directory=str(target_path))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"dbt docs: http://127.0.0.1:{server.server_address[1]} (stop with Ctrl+C)")
        print(f"Single file to share: {target_path / 'static_index.html'}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("Stopped the dbt docs server.")


def main() -> int:
    apply_local_defaults()
    ensure_local_postgres()
    target_path = docs_target_path()
    generated = generate(target_path)
    if generated != 0:
        print(f"dbt docs generate failed (exit code {generated}); see dbt's messages above.")
        return generated
    serve(target_path, int(os.environ.get("DBT_DOCS_PORT", "8080")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
