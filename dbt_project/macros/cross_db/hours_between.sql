{#
    hours_between(start, end): hours from one UTC timestamp to another as a double precision,
    fractions included (negative when `end` is earlier; null when either is null). Portable:
    DuckDB and Postgres both take `extract(epoch from ...)` of a timestamp (Postgres answers a
    numeric, hence the cast).
#}
{% macro hours_between(start_timestamp, end_timestamp) -%}
    cast(
        extract(epoch from {{ end_timestamp }}) - extract(epoch from {{ start_timestamp }})
        as double precision
    ) / 3600
{%- endmacro %}
