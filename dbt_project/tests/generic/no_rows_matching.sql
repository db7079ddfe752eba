{#
    Fails (or warns, with `config: {severity: warn}`) for every row of the model that matches
    the SQL `condition`.
#}
{% test no_rows_matching(model, condition) %}

select *
from {{ model }}
where {{ condition }}

{% endtest %}
