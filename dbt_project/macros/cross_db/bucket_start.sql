{#
    bucket_start(timestamp, minutes): the start of the `minutes`-long bucket holding the
    timestamp. Buckets are counted from Monday 2000-01-03 00:00 UTC, so every length that
    divides a day (1, 5, 15, 60, 240, 1440 minutes) starts at UTC midnight, and a week
    (10080 minutes) starts on Monday. `minutes` may be a column.
    DuckDB has time_bucket, Postgres date_bin; both take the same origin.
#}
{% macro bucket_start(timestamp, minutes) -%}
    {{ return(adapter.dispatch('bucket_start', 'tributary')(timestamp, minutes)) }}
{%- endmacro %}

{% macro default__bucket_start(timestamp, minutes) -%}
    date_bin(
        {{ minutes }} * interval '1 minute',
        {{ timestamp }},
        cast('2000-01-03 00:00:00' as timestamp)
    )
{%- endmacro %}

{% macro duckdb__bucket_start(timestamp, minutes) -%}
    time_bucket(
        to_minutes(cast({{ minutes }} as bigint)),
        {{ timestamp }},
        cast('2000-01-03 00:00:00' as timestamp)
    )
{%- endmacro %}
