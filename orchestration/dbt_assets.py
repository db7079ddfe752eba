"""The dbt project as Dagster assets: every model, seed and snapshot, with dbt tests as checks."""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingestion.warehouse import PROJECT_ROOT, warehouse_kind
from orchestration.dlt_assets import WAREHOUSE_POOL

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


def tributary_dbt_project() -> DbtProject:
    """The dbt project for the configured warehouse; each target keeps its own manifest, since
    the manifest records database names."""
    kind = warehouse_kind()
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=PROJECT_ROOT,
        target=kind,
        target_path=Path("target") / kind,
    )


def prepare_manifest(project: DbtProject) -> Path:
    """Parse the project (``dbt parse``) so that the manifest matches the models on disk."""
    project.preparer.prepare(project)
    return project.manifest_path


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer and domain (``staging_exchange``, ``marts_markets``, ...)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return "_".join(fqn[1:3]) if len(fqn) > 3 else super().get_group_name(dbt_resource_props)


def build_dbt_assets(project: DbtProject) -> AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=LayerTranslator(),
        name="dbt_models",
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        """``dbt build`` of the selected models: seeds, models and data tests (the data tests are
        asset checks). Unit tests check the SQL, not the data: `make test` runs them."""
        yield from dbt.cli(BUILD_ARGS, context=context).stream()

    return dbt_models


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, target=project.target)
