{#
    round_double(expression, places=12): a double precision rounded to `places` decimal places,
    as a double precision. Every double in a mart goes through it: the value is stated to a
    precision that floating-point noise (the last bits, which differ between libraries and
    engines) does not reach, so builds and engines agree and tests compare at that precision.
    DuckDB rounds doubles directly; Postgres rounds numerics only (its cast from a double keeps
    15 significant digits, more than the places kept here for values below 1000).
#}
{% macro round_double(expression, places=12) -%}
    {{ return(adapter.dispatch('round_double', 'tributary')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    cast(round(cast({{ expression }} as numeric), {{ places }}) as double precision)
{%- endmacro %}

{% macro duckdb__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}
