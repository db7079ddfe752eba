{#
    exact_sum(expression, over=none) and exact_avg(expression, over=none): the sum or mean of a
    double precision expression that is the same to the last bit however the rows are split
    among threads or workers. A plain sum of doubles is not: DuckDB (and Postgres in parallel
    plans) adds partial sums in whatever order the threads finish, and floating-point addition
    is not associative, so two builds of the same data could differ in the last bits.
    Each value is rounded to 24 decimal places and the values are added exactly as decimals
    (numeric(38, 24): |sum| < 10^14); the result, converted back, is a double precision.
    Rounding each value to 1e-24 changes a result by far less than the last bit of a double for
    the magnitudes summed here (returns and their squares, prices). `over` is a window (a name
    or a parenthesised specification) for use as a window aggregate.
#}
{% macro exact_sum(expression, over=none) -%}
    cast(
        sum(cast({{ expression }} as numeric(38, 24)))
        {%- if over is not none %} over {{ over }}{% endif %} as double precision
    )
{%- endmacro %}

{% macro exact_avg(expression, over=none) -%}
    cast(
        avg(cast({{ expression }} as numeric(38, 24)))
        {%- if over is not none %} over {{ over }}{% endif %} as double precision
    )
{%- endmacro %}
