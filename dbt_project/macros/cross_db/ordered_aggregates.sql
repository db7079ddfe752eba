{#
    first_by(value, order_by): the value of the row with the smallest order_by in the group.
    last_by(value, order_by): the value of the row with the largest order_by in the group.
    DuckDB has arg_min/arg_max; Postgres takes the first element of an ordered array_agg.
#}
{% macro first_by(value, order_by) -%}
    {{ return(adapter.dispatch('first_by', 'tributary')(value, order_by)) }}
{%- endmacro %}

{% macro default__first_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }}))[1]
{%- endmacro %}

{% macro duckdb__first_by(value, order_by) -%}
    arg_min({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro last_by(value, order_by) -%}
    {{ return(adapter.dispatch('last_by', 'tributary')(value, order_by)) }}
{%- endmacro %}

{% macro default__last_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }} desc))[1]
{%- endmacro %}

{% macro duckdb__last_by(value, order_by) -%}
    arg_max({{ value }}, {{ order_by }})
{%- endmacro %}
