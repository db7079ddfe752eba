"""The raw tables as the dlt sources declare them and as the dbt sources YAML documents them
agree column for column: a column added to a source is documented (and a documented column is
loaded) before either can ship."""

from support.raw_schemas import declared_raw_tables, documented_raw_tables


def test_dbt_sources_document_every_declared_raw_column(tributary_env):
    declared = {table: list(columns) for table, columns in declared_raw_tables().items()}
    documented = documented_raw_tables()
    assert sorted(declared) == sorted(documented)
    for table, columns in declared.items():
        assert documented[table] == columns, f"{'.'.join(table)}: dlt {columns}"
