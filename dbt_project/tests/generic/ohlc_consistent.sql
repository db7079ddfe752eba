{#
    Fails for every candle that cannot have happened: the low above the open, the close or the
    high, or the high below the open or the close. Rows with a null price pass.
#}
{% test ohlc_consistent(
    model,
    open_column='open_price',
    high_column='high_price',
    low_column='low_price',
    close_column='close_price'
) %}

select *
from {{ model }}
where
    {{ low_column }} > {{ open_column }}
    or {{ low_column }} > {{ close_column }}
    or {{ low_column }} > {{ high_column }}
    or {{ high_column }} < {{ open_column }}
    or {{ high_column }} < {{ close_column }}

{% endtest %}
