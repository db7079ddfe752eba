{#
    dora_period_ctes(period): the per-period aggregates shared by fct_dora_weekly and
    fct_dora_monthly, `period` being 'week' or 'month' (periods start on a Monday or the 1st,
    UTC). They read the CTEs `deployments`, `deployment_commits` and `incidents` and define, per
    repository and `<period>_start`:
    - `period_deployments`: deployments, deployment-days and failed deployments;
    - `period_lead_times`: changes (non-merge commits) deployed and their median lead time;
    - `period_incidents`: incidents started, resolved, and their median recovery time.
#}
{% macro dora_period_ctes(period) -%}
{%- set deployed_in = "cast(date_trunc('" ~ period ~ "', deployed_at) as date)" -%}
{%- set started_in = "cast(date_trunc('" ~ period ~ "', started_at) as date)" -%}
period_deployments as (

    select
        repository,
        {{ deployed_in }} as {{ period }}_start,
        count(*) as deployment_count,
        count(distinct deployed_date) as deployment_days,
        sum(case when is_failure then 1 else 0 end) as failed_deployment_count
    from deployments
    group by repository, {{ deployed_in }}

),

period_lead_times as (

    select
        repository,
        {{ deployed_in }} as {{ period }}_start,
        count(*) as change_count,
        percentile_cont(0.5) within group (order by lead_time_hours) as median_lead_time_hours
    from deployment_commits
    where not is_merge
    group by repository, {{ deployed_in }}

),

period_incidents as (

    select
        repository,
        {{ started_in }} as {{ period }}_start,
        count(*) as incident_count,
        count(resolved_at) as resolved_incident_count,
        percentile_cont(0.5) within group (order by recovery_time_hours)
            as median_recovery_time_hours
    from incidents
    group by repository, {{ started_in }}

)
{%- endmacro %}
