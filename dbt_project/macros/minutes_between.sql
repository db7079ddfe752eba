{#
    minutes_between(start, end): whole minutes from one UTC timestamp to a later one, as a
    bigint (for minute-aligned timestamps, exact). Portable: both DuckDB and Postgres take
    `extract(epoch from ...)` of a timestamp.
#}
{% macro minutes_between(start_timestamp, end_timestamp) -%}
    cast(
        floor(
            (extract(epoch from {{ end_timestamp }}) - extract(epoch from {{ start_timestamp }}))
            / 60
        ) as bigint
    )
{%- endmacro %}
