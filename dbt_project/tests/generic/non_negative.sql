{#
    Fails for every row whose column is below zero (volumes, counts); nulls pass.
#}
{% test non_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
