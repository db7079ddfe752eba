{#
    date_series(start_date, end_date, step): a set-returning select-list expression giving one
    row per date from `start_date` to `end_date` (both included when on a step) every `step`
    (an interval such as "interval '7 days'" or "interval '1 month'"), as dates. Use it as the
    only set-returning expression of a plain select: `select repository, {{ date_series(...) }}
    as week_start from bounds` makes one row per repository and date. A period spine without a
    recursive CTE. Postgres returns rows from generate_series; DuckDB's generate_series
    returns a list, unnested into rows.
#}
{% macro date_series(start_date, end_date, step) -%}
    {{ return(adapter.dispatch('date_series', 'tributary')(start_date, end_date, step)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date, step) -%}
    cast(
        generate_series(
            cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), {{ step }}
        ) as date
    )
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date, step) -%}
    cast(
        unnest(
            generate_series(
                cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), {{ step }}
            )
        ) as date
    )
{%- endmacro %}
