"""dlt column hints of the raw tables, from the Arrow schemas their rows are built with.

Each raw table is declared once, as the Arrow schema of its rows. dlt gets its columns from that
schema before any row arrives, so the table exists with every column (and dbt builds) even when
a run brings nothing, plus ``_dlt_load_id``: dlt stamps Arrow rows with their load (the pipeline
factory switches that on), and dbt's incremental models read it. The dbt sources YAML documents
the same columns; ``tests/dbt/test_raw_schemas.py`` checks that the two agree.
"""

from __future__ import annotations

import pyarrow as pa
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns
from dlt.common.schema.typing import TTableSchemaColumns

LOAD_ID_COLUMN: TTableSchemaColumns = {
    "_dlt_load_id": {"name": "_dlt_load_id", "data_type": "text", "nullable": False}
}


def table_columns(
    schema: pa.Schema, hints: TTableSchemaColumns | None = None
) -> TTableSchemaColumns:
    """The columns of a raw table whose rows have ``schema``, with ``hints`` (for example a
    hard-delete flag) merged into the columns they name, then ``_dlt_load_id``."""
    columns = py_arrow_to_table_schema_columns(schema)
    for name, hint in (hints or {}).items():
        columns[name] = {**columns.get(name, {}), **hint}
    return {**columns, **LOAD_ID_COLUMN}
