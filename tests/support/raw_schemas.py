"""The raw tables as the dlt sources declare them, and as the dbt sources YAML documents them.

The dlt sources are the one declaration of each raw table's columns (from their Arrow schemas and
column hints); :func:`declared_raw_tables` asks dlt for them without loading anything, and
:func:`create_empty_raw_tables` creates them, empty, in the test's warehouse, so that the dbt
unit tests can run without a load.
"""

from __future__ import annotations

from typing import Any

import yaml

from support.environment import PROJECT_ROOT

SOURCES_YAML = sorted((PROJECT_ROOT / "dbt_project" / "models").glob("**/_*__sources.yml"))
UNREACHABLE = "http://127.0.0.1:9"
"""Endpoints of sources built only to read their schema: nothing is ever requested."""


def declared_raw_tables() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """``{(dataset, table): {column: dlt column schema}}`` of every raw table, dlt's own columns
    (``_dlt_load_id``) included where dlt adds them."""
    from ingestion.exchange import exchange_source
    from ingestion.git import git_source
    from ingestion.git.shipped_commits import commit_graph_source
    from ingestion.github import github_source

    sources = (
        ("raw_exchange", exchange_source(archive_base_url=UNREACHABLE, symbols=[])),
        ("raw_git", git_source(repositories=[])),
        ("raw_github", github_source(repositories=[], base_url=UNREACHABLE)),
        ("commit_graph", commit_graph_source()),
    )
    tables = {}
    for dataset, source in sources:
        for table in source.discover_schema().data_tables():
            tables[dataset, table["name"]] = dict(table["columns"])
    return tables


def documented_raw_tables() -> dict[tuple[str, str], list[str]]:
    """``{(schema, table): [column, ...]}`` as the dbt sources YAML lists them."""
    tables = {}
    for path in SOURCES_YAML:
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                columns = [column["name"] for column in table.get("columns", [])]
                tables[source.get("schema", source["name"]), table["name"]] = columns
    return tables


def create_empty_raw_tables() -> None:
    """Create every declared raw table, empty, in the test's warehouse, with the types dlt gives
    its columns there (so that dbt can build on it with ``--empty`` and run its unit tests)."""
    from ingestion.warehouse import dlt_pipeline

    for dataset in sorted({dataset for dataset, _ in declared_raw_tables()}):
        pipeline = dlt_pipeline(f"empty_{dataset}", dataset)
        types = pipeline.destination_client().type_mapper
        with pipeline.sql_client() as client:
            client.create_dataset()
            for (table_dataset, name), columns in declared_raw_tables().items():
                if table_dataset != dataset:
                    continue
                table = {"name": name, "columns": columns}
                definition = ", ".join(
                    f"{client.escape_column_name(column)} "
                    f"{types.to_destination_type(schema, table)}"  # type: ignore[arg-type]
                    for column, schema in columns.items()
                )
                client.execute_sql(
                    f"create table {client.make_qualified_table_name(name)} ({definition})"
                )
