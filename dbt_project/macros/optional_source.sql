{#-
    A source table that may not exist yet, for sources a warehouse can do without (GitHub data in
    git-only mode: dlt creates a table only once it has rows). Returns the table when it exists, else an empty relation with the columns and
    `data_type`s declared for it in the sources YAML, so downstream models build and say "empty"
    instead of failing. Lineage is kept: `source()` is always called.
-#}
{% macro optional_source(source_name, table_name) %}
    {%- set relation = source(source_name, table_name) -%}
    {#- Parsing, or a unit test (where source() names the test's fixture): nothing to look up. -#}
    {%- if not execute or relation is string or not relation.schema -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set columns = node.columns.values() | list -%}
    {%- if columns | selectattr('data_type', 'none') | list -%}
        {{ exceptions.raise_compiler_error(
            "optional_source: give every column of " ~ source_name ~ "." ~ table_name
            ~ " a data_type in its sources YAML") }}
    {%- endif -%}
    (
        select
        {%- for column in columns %}
            cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}
            {{- "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    ) as {{ adapter.quote(table_name) }}
{%- endmacro %}

{#-
    The on-run-start hook that lists the tables of every source schema once, before dbt starts
    its threads. dbt fills its relation cache a schema at a time, when a thread first asks, and
    counts the schema as listed from its first table on: another thread that asks for a later
    table of that schema meanwhile is told it does not exist, and optional_source would read an
    empty relation in place of a loaded raw table (seen on Postgres with both cores busy: an
    empty stg_github__deployments beside 122 raw deployments).
-#}
{% macro list_source_schemas() %}
    {%- if execute -%}
        {%- set listed = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- if (node.database, node.schema) not in listed -%}
                {%- do listed.append((node.database, node.schema)) -%}
                {%- do adapter.get_relation(node.database, node.schema, node.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
