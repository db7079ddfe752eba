{#
    Warns for every empty data-quality check (`status = 'empty'`) of a model shaped like
    `fct_engineering_data_quality` and logs each with its reason, so `dbt build` shows why an
    engineering mart is empty for a repository, not just how many checks are.
#}
{% test no_empty_checks(model) %}

{{ config(severity='warn') }}

{% if execute %}
    {% set empty_checks = run_query(
        "select repository, check_name, reason from " ~ model
        ~ " where status = 'empty' order by repository, check_name"
    ) %}
    {% for check in empty_checks.rows %}
        {{ log("Empty check " ~ check[0] ~ " / " ~ check[1] ~ ": " ~ check[2], info=True) }}
    {% endfor %}
{% endif %}

select
    repository,
    check_name,
    reason
from {{ model }}
where status = 'empty'

{% endtest %}
