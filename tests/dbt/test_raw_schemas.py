"""The raw tables as the dlt sources declare them and as the dbt sources YAML documents them
agree column for column: a column added to a source is documented (and a documented column is
loaded) before either can ship."""

import re

from support.raw_schemas import declared_raw_tables, documented_raw_tables


def test_dbt_sources_document_every_declared_raw_column(tributary_env):
    declared = {table: list(columns) for table, columns in declared_raw_tables().items()}
    documented = documented_raw_tables()
    assert sorted(declared) == sorted(documented)
    for table, columns in declared.items():
        assert documented[table] == columns, f"{'.'.join(table)}: dlt {columns}"


def test_no_staging_not_null_test_repeats_a_raw_not_null_column(manifest, tributary_env):
    """A ``not_null`` test on a staging column that passes a raw column through under its own
    name cannot fail when dlt declares that column not null (the raw table refuses nulls): it
    would only cost a dbt node and a Dagster check every run."""
    declared = declared_raw_tables()
    sources = manifest["sources"]
    repeated = []
    for test in manifest["nodes"].values():
        metadata = test.get("test_metadata") or {}
        model = manifest["nodes"].get(test.get("attached_node") or "", {})
        if metadata.get("name") != "not_null" or model.get("fqn", [None, None])[1] != "staging":
            continue
        column = test["column_name"]
        passed_through = re.search(rf"^\s*{re.escape(column)},?\s*$", model["raw_code"], re.M)
        for parent in model["depends_on"]["nodes"]:
            source = sources.get(parent)
            if not source or not passed_through:
                continue
            schema = declared.get((source["schema"], source["name"]), {}).get(column, {})
            if schema.get("nullable") is False:
                repeated.append(f"{model['name']}.{column}")
    assert repeated == []
