{#
    The current moment as a UTC `timestamp` (without time zone), comparable with every
    timestamp column of the project. Both DuckDB and Postgres read `at time zone 'UTC'` the
    same way.
#}
{% macro utc_now() -%}
    cast(current_timestamp at time zone 'UTC' as timestamp)
{%- endmacro %}
