{#
    metrics_sum_of_squared_deviations(column, mean, size, window): the sum of (x - mean)² over the
    current row's `size` observations (the row and the size - 1 rows before it in the named
    window `window`), as one expression of lag() calls added in a fixed order. With `mean` the
    window's own mean this is the exact two-pass sum behind a variance; lag() keeps it a plain
    window computation on DuckDB and Postgres alike (joining each window's rows back costs far
    more on Postgres). Null while the window has fewer than `size` rows.
#}
{% macro metrics_sum_of_squared_deviations(column, mean, size, window) -%}
    {%- for rows_back in range(size) %}
        {% if not loop.first %}+ {% endif -%}
        (lag({{ column }}, {{ rows_back }}) over {{ window }} - {{ mean }})
        * (lag({{ column }}, {{ rows_back }}) over {{ window }} - {{ mean }})
    {%- endfor %}
{%- endmacro %}
