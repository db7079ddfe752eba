{#
    Fails for every row whose UTC timestamp column lies after the current moment: a candle
    that opens in the future is a unit or time-zone mistake.
#}
{% test not_in_future(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} > {{ utc_now() }}

{% endtest %}
