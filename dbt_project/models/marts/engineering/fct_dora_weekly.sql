{#-
    DORA metrics per repository and week (Monday to Sunday, UTC), every week from the
    repository's first activity to its last (deployments, incidents, commits of plausible
    date), weeks without deployments included.
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
        cast(date_trunc('week', min(active_at)) as date) as first_week_start,
        cast(date_trunc('week', max(active_at)) as date) as last_week_start
    from activity
    where active_at is not null
    group by repository

),

weeks as (

    select
        repository,
        {{ date_series('first_week_start', 'last_week_start', "interval '7 days'") }}
            as week_start
    from activity_bounds

),

{{ dora_period_ctes('week') }},

metrics as (

    select
        weeks.repository,
        weeks.week_start,
        coalesce(period_deployments.deployment_count, 0) as deployment_count,
        coalesce(period_deployments.deployment_days, 0) as deployment_days,
        coalesce(period_lead_times.change_count, 0) as change_count,
        period_lead_times.median_lead_time_hours,
        coalesce(period_deployments.failed_deployment_count, 0) as failed_deployment_count,
        cast(period_deployments.failed_deployment_count as double precision)
        / nullif(period_deployments.deployment_count, 0) as change_failure_rate,
        coalesce(period_incidents.incident_count, 0) as incident_count,
        period_incidents.median_recovery_time_hours
    from weeks
    left join period_deployments
        on
            weeks.repository = period_deployments.repository
            and weeks.week_start = period_deployments.week_start
    left join period_lead_times
        on
            weeks.repository = period_lead_times.repository
            and weeks.week_start = period_lead_times.week_start
    left join period_incidents
        on
            weeks.repository = period_incidents.repository
            and weeks.week_start = period_incidents.week_start

),

-- The tiers of each week. A single week cannot show a monthly cadence: its deployment-days
-- stand in for both frequency measures.
{{ dora_tier_ctes('week_start', 'cast(deployment_days as double precision)') }},

final as (

    select
        cast(metrics.repository as text) as repository,
        cast(metrics.week_start as date) as week_start,
        cast(metrics.deployment_count as integer) as deployment_count,
        cast(metrics.deployment_days as integer) as deployment_days,
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
            and metrics.week_start = period_report_years.week_start
    left join tiers
        on
            metrics.repository = tiers.repository
            and metrics.week_start = tiers.week_start

)

select * from final
