{#
    Warns for every data-quality check of a model shaped like `fct_engineering_data_quality`
    whose status is `status` (`empty`: a mart has no rows for a repository; `warn`: suspect
    rows, such as changes authored after their deployment) and logs each with its reason, so
    `dbt build` shows why, not just how many checks are.
#}
{% test no_checks_with_status(model, status) %}

{{ config(severity='warn') }}

{% if execute %}
    {% set flagged = run_query(
        "select repository, check_name, reason from " ~ model
        ~ " where status = '" ~ status ~ "' order by repository, check_name"
    ) %}
    {% for check in flagged.rows %}
        {{ log("Check " ~ status ~ ": " ~ check[0] ~ " / " ~ check[1] ~ ": " ~ check[2], info=True) }}
    {% endfor %}
{% endif %}

select
    repository,
    check_name,
    reason
from {{ model }}
where status = '{{ status }}'

{% endtest %}
