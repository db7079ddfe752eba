{#-
    DORA metrics per repository and calendar month (UTC), every month from the repository's
    first activity to its last (deployments, incidents, commits of plausible date), months
    without deployments included.
-#}
with

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}

),

deployment_commits as (

    select * from {{ ref('int_engineering__deployment_commits') }}

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

weekly_metrics as (

    select * from {{ ref('fct_dora_weekly') }}

),

tier_thresholds as (

    select * from {{ ref('dora_tier_thresholds') }}

),

-- What spans the periods: deployments, incidents and commits of plausible date. A commit
-- dated by a wrong clock (1970, 2099) would stretch them over decades.
activity as (

    select
        repository,
        committed_at as active_at
    from commit_changes
    where not has_implausible_date
    union all
    select
        repository,
        deployed_at as active_at
    from deployments
    union all
    select
        repository,
        started_at as active_at
    from incidents
    union all
    select
        repository,
        resolved_at as active_at
    from incidents

),

activity_bounds as (

    select
        repository,
        cast(date_trunc('month', min(active_at)) as date) as first_month_start,
        cast(date_trunc('month', max(active_at)) as date) as last_month_start
    from activity
    where active_at is not null
    group by repository

),

months as (

    select
        repository,
        {{ date_series('first_month_start', 'last_month_start', "interval '1 month'") }}
            as month_start
    from activity_bounds

),

-- Deployment frequency: the median of the deployment-days of the weeks starting in the month.
monthly_weekly_deployment_days as (

    select
        repository,
        cast(date_trunc('month', week_start) as date) as month_start,
        percentile_cont(0.5) within group (order by deployment_days)
            as median_weekly_deployment_days
    from weekly_metrics
    group by repository, cast(date_trunc('month', week_start) as date)

),

{{ dora_period_ctes('month') }},

metrics as (

    select
        months.repository,
        months.month_start,
        coalesce(period_deployments.deployment_count, 0) as deployment_count,
        coalesce(period_deployments.deployment_days, 0) as deployment_days,
        monthly_weekly_deployment_days.median_weekly_deployment_days,
        coalesce(period_lead_times.change_count, 0) as change_count,
        period_lead_times.median_lead_time_hours,
        coalesce(period_deployments.failed_deployment_count, 0) as failed_deployment_count,
        cast(period_deployments.failed_deployment_count as double precision)
        / nullif(period_deployments.deployment_count, 0) as change_failure_rate,
        coalesce(period_incidents.incident_count, 0) as incident_count,
        period_incidents.median_recovery_time_hours
    from months
    left join period_deployments
        on
            months.repository = period_deployments.repository
            and months.month_start = period_deployments.month_start
    left join period_lead_times
        on
            months.repository = period_lead_times.repository
            and months.month_start = period_lead_times.month_start
    left join period_incidents
        on
            months.repository = period_incidents.repository
            and months.month_start = period_incidents.month_start
    left join monthly_weekly_deployment_days
        on
            months.repository = monthly_weekly_deployment_days.repository
            and months.month_start = monthly_weekly_deployment_days.month_start

),

-- The tiers of each month: the weekly frequency measure is the median week's deployment-days.
{{ dora_tier_ctes('month_start', 'median_weekly_deployment_days') }},

final as (

    select
        cast(metrics.repository as text) as repository,
        cast(metrics.month_start as date) as month_start,
        cast(metrics.deployment_count as integer) as deployment_count,
        cast(metrics.deployment_days as integer) as deployment_days,
        {{ round_double('cast(metrics.median_weekly_deployment_days as double precision)') }}
            as median_weekly_deployment_days,
        cast(metrics.change_count as integer) as change_count,
        {{ round_double('cast(metrics.median_lead_time_hours as double precision)') }}
            as median_lead_time_hours,
        cast(metrics.failed_deployment_count as integer) as failed_deployment_count,
        {{ round_double('cast(metrics.change_failure_rate as double precision)') }}
            as change_failure_rate,
        cast(metrics.incident_count as integer) as incident_count,
        {{ round_double('cast(metrics.median_recovery_time_hours as double precision)') }}
            as median_recovery_time_hours,
        cast(period_report_years.report_year as integer) as tier_report_year,
        cast(tiers.deployment_frequency_tier as text) as deployment_frequency_tier,
        cast(tiers.lead_time_tier as text) as lead_time_tier,
        cast(tiers.change_failure_rate_tier as text) as change_failure_rate_tier,
        cast(tiers.recovery_time_tier as text) as recovery_time_tier

    from metrics
    left join period_report_years
        on
            metrics.repository = period_report_years.repository
            and metrics.month_start = period_report_years.month_start
    left join tiers
        on
            metrics.repository = tiers.repository
            and metrics.month_start = tiers.month_start

)

select * from final
