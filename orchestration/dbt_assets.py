"""The dbt project as Dagster assets: every model, seed and snapshot, with dbt tests as checks."""

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetMaterialization, AssetsDefinition, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dbt.version import __version__ as dbt_version

from ingestion.warehouse import PROJECT_ROOT, duckdb_path, warehouse_cursor, warehouse_kind
from orchestration.dbt_cli import dbt_resource
from orchestration.dlt_assets import WAREHOUSE_POOL, check_no_half_load

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


def dbt_target_dir() -> Path:
    """dbt's target folder: ``DBT_TARGET_PATH`` (dbt's own variable, which dagster-dbt also
    reads for the folder of each invocation) or ``dbt_project/target``."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def tributary_dbt_project() -> DbtProject:
    """The dbt project for the configured warehouse; each target keeps its own manifest, since
    the manifest records database names."""
    kind = warehouse_kind()
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=PROJECT_ROOT,
        target=kind,
        target_path=dbt_target_dir() / kind,
    )


PARSED_FILES = ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json")
"""What ``dbt parse`` leaves in its target folder, the manifest last (its time says when)."""


def prepare_manifest(project: DbtProject) -> Path:
    """Parse the project (``dbt parse``) so that the manifest matches the models on disk.

    dbt parses into a folder of its own, then the files move into place: a process that reads
    the manifest meanwhile (the UI's code server, a run) reads the old one or the new one, never
    half of one."""
    parsing = project.target_path.with_name(f".{project.target_path.name}-parsing-{os.getpid()}")
    try:
        dbt_resource(project).cli(["parse", "--quiet"], target_path=parsing).wait()
        project.target_path.mkdir(parents=True, exist_ok=True)
        for name in PARSED_FILES:
            if (parsing / name).exists():
                os.replace(parsing / name, project.target_path / name)
    finally:
        shutil.rmtree(parsing, ignore_errors=True)
    return project.manifest_path


ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")


def _parsed_files() -> list[Path]:
    """Every file ``dbt parse`` reads: the project's YAML and SQL, and ``profiles.yml``."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml", PROJECT_ROOT / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests", "snapshots"):
        files.extend(path for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file())
    return [path for path in files if path.exists()]


def _parse_inputs(files: list[Path]) -> str:
    """What a manifest depends on besides file contents: dbt's version, the database it names
    (the DuckDB file's stem or the Postgres database) and the environment variables the project
    reads with ``env_var`` (a role name...). The profile's other settings (the DuckDB file's
    folder, hosts, passwords) are read when dbt runs, not recorded in the manifest."""
    project_files = [path for path in files if path.name != "profiles.yml"]
    names = sorted({name for path in project_files for name in ENV_VAR.findall(path.read_text())})
    database = (
        duckdb_path().stem
        if warehouse_kind() == "duckdb"
        else os.environ.get("POSTGRES_DB", "postgres")
    )
    return json.dumps(
        {
            "dbt": dbt_version,
            "database": database,
            "env": {name: os.environ.get(name) for name in names},
        },
        sort_keys=True,
    )


def _inputs_path(project: DbtProject) -> Path:
    return project.manifest_path.with_name("manifest_inputs.json")


def manifest_is_current(project: DbtProject) -> bool:
    """True when the manifest is newer than every file dbt parses and was parsed with the same
    environment and dbt version."""
    inputs = _inputs_path(project)
    if not (project.manifest_path.exists() and inputs.exists()):
        return False
    files = _parsed_files()
    parsed_at = project.manifest_path.stat().st_mtime
    return all(path.stat().st_mtime <= parsed_at for path in files) and (
        inputs.read_text() == _parse_inputs(files)
    )


def ensure_current_manifest(project: DbtProject) -> Path:
    """The manifest, parsed again only when a dbt file changed since: every Dagster process
    (the UI's code server, each run) loads the definitions, and a parse costs ~20 s.

    One process parses at a time (a lock file beside the manifest): two processes that load the
    definitions at once (``make ui`` and ``make run``) would otherwise write the manifest
    together, and one could read it half written. A process that waited finds it current."""
    if manifest_is_current(project):
        return project.manifest_path
    lock_path = project.manifest_path.with_name("manifest.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest_is_current(project):
            prepare_manifest(project)
            _inputs_path(project).write_text(_parse_inputs(_parsed_files()))
    return project.manifest_path


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer and domain (``staging_exchange``, ``marts_markets``, ...)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return "_".join(fqn[1:3]) if len(fqn) > 3 else super().get_group_name(dbt_resource_props)


WALK_DOWNSTREAM = "stg_commit_graph__deployment_commits+"
"""The models that read what the commit-graph walk (:mod:`orchestration.commit_graph`) wrote."""


def define_dbt_assets(project: DbtProject) -> list[AssetsDefinition]:
    """The dbt project as two multi-assets: the models that do not read what the commit-graph
    walk wrote (among them the deployments the walk reads), and those that do. A job that holds
    both runs ``dbt build`` for the first, then the walk, then ``dbt build`` for the second."""

    def models(name: str, select: str, exclude: str | None) -> AssetsDefinition:
        @dbt_assets(
            manifest=project.manifest_path,
            project=project,
            dagster_dbt_translator=LayerTranslator(),
            name=name,
            select=select,
            exclude=exclude,
            pool=WAREHOUSE_POOL,
        )
        def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
            """``dbt build`` of the selected models: seeds, models and data tests (the data
            tests are asset checks), with each table's row count. Unit tests check the SQL,
            not the data: `make test` runs them. Refuses to read a load that a stopped
            run left half-committed."""
            check_no_half_load()
            yield from stream_with_row_counts(dbt.cli(BUILD_ARGS, context=context))

        return dbt_models

    return [
        models("dbt_models", "fqn:*", WALK_DOWNSTREAM),
        models("dbt_models_after_walk", WALK_DOWNSTREAM, None),
    ]


def stream_with_row_counts(invocation: DbtCliInvocation) -> Iterator[Any]:
    """The invocation's events, each built table's with its row count (``dagster/row_count``).

    The counts are taken once dbt has exited, with our own connection: dagster-dbt's
    ``fetch_row_counts`` opens dbt's adapter inside this process, whose DuckDB connection then
    blocks every later step of an in-process run from opening the file."""
    events: list[Any] = []
    try:
        events.extend(invocation.stream())
    except Exception:
        # A failed build still records what it built before the failure.
        yield from _with_row_counts(events, invocation.manifest)
        raise
    finally:
        keep_partial_parse(invocation)
        prune_invocation_folders()
    yield from _with_row_counts(events, invocation.manifest)


def keep_partial_parse(invocation: DbtCliInvocation) -> None:
    """Keep the invocation's ``partial_parse.msgpack`` where dagster-dbt copies the next one
    from (:func:`dbt_target_dir`), so that the next ``dbt build`` with the same profile parses
    only what changed instead of the whole project (about 10 s a time)."""
    written = invocation.target_path / "partial_parse.msgpack"
    if not written.is_file():
        return
    kept = dbt_target_dir() / "partial_parse.msgpack"
    kept.parent.mkdir(parents=True, exist_ok=True)
    temp = kept.with_name(f".partial_parse.{os.getpid()}.msgpack")
    shutil.copyfile(written, temp)
    os.replace(temp, kept)


INVOCATION_FOLDER = re.compile(r"^[a-z_]+-[0-9a-f]{7}-[0-9a-f]{7}$")
"""dagster-dbt's target folder of one ``dbt`` invocation: ``dbt_models-<run>-<hash>``."""
KEPT_INVOCATIONS = 10


def prune_invocation_folders(keep: int = KEPT_INVOCATIONS) -> None:
    """Remove all but the newest ``keep`` invocation folders (about 13 MB each, two per run: an
    hourly schedule would otherwise fill a disk); the newest keep their ``dbt.log`` to read."""
    target = dbt_target_dir()
    folders = sorted(
        (path for path in target.glob("*-*-*") if INVOCATION_FOLDER.match(path.name)),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def _with_row_counts(events: list[Any], manifest: Mapping[str, Any]) -> Iterator[Any]:
    nodes = manifest["nodes"]
    with warehouse_cursor() as cursor:
        for event in events:
            unique_id = getattr(getattr(event, "metadata", {}).get("unique_id"), "value", None)
            node = (
                nodes.get(unique_id) if isinstance(event, Output | AssetMaterialization) else None
            )
            if node and node["config"].get("materialized") != "view" and node.get("relation_name"):
                cursor.execute(f"select count(*) from {node['relation_name']}")
                rows = int(cursor.fetchone()[0])
                event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event
