{#-
    The DORA figures of each repository per week (Monday to Sunday, UTC) and per calendar month
    (UTC), `grain` telling which: every period from the repository's first activity to its last
    (deployments, incidents, commits of plausible date), periods without deployments included.
    Unrounded; the marts fct_dora_weekly and fct_dora_monthly state them. Deployments and
    incidents come from the marts fct_deployments and fct_incidents, so that the DORA figures
    count exactly the deployments, failures and recovery times those publish.
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

grains as (

    -- `grain` is a `date_trunc` field: weeks start on Monday, months on the 1st.
    select
        'week' as grain,
        interval '7 days' as period_length
    union all
    select
        'month' as grain,
        interval '1 month' as period_length

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
        min(active_at) as first_active_at,
        max(active_at) as last_active_at
    from activity
    where active_at is not null
    group by repository

),

periods as (

    select
        activity_bounds.repository,
        grains.grain,
        {{ date_series(
            "date_trunc(grains.grain, activity_bounds.first_active_at)",
            "date_trunc(grains.grain, activity_bounds.last_active_at)",
            "grains.period_length"
        ) }} as period_start
    from activity_bounds
    cross join grains

),

period_deployments as (

    select
        deployments.repository,
        grains.grain,
        cast(date_trunc(grains.grain, deployments.deployed_at) as date) as period_start,
        count(*) as deployment_count,
        count(distinct deployments.deployed_date) as deployment_days,
        sum(case when deployments.is_failure then 1 else 0 end) as failed_deployment_count
    from deployments
    cross join grains
    group by
        deployments.repository,
        grains.grain,
        cast(date_trunc(grains.grain, deployments.deployed_at) as date)

),

period_lead_times as (

    select
        deployment_commits.repository,
        grains.grain,
        cast(date_trunc(grains.grain, deployment_commits.deployed_at) as date) as period_start,
        count(*) as change_count,
        percentile_cont(0.5) within group (order by deployment_commits.lead_time_hours)
            as median_lead_time_hours
    from deployment_commits
    cross join grains
    where not deployment_commits.is_merge
    group by
        deployment_commits.repository,
        grains.grain,
        cast(date_trunc(grains.grain, deployment_commits.deployed_at) as date)

),

period_incidents as (

    select
        incidents.repository,
        grains.grain,
        cast(date_trunc(grains.grain, incidents.started_at) as date) as period_start,
        count(*) as incident_count,
        percentile_cont(0.5) within group (order by incidents.recovery_time_hours)
            as median_recovery_time_hours
    from incidents
    cross join grains
    group by
        incidents.repository,
        grains.grain,
        cast(date_trunc(grains.grain, incidents.started_at) as date)

),

period_metrics as (

    select
        periods.repository,
        periods.grain,
        periods.period_start,
        coalesce(period_deployments.deployment_count, 0) as deployment_count,
        coalesce(period_deployments.deployment_days, 0) as deployment_days,
        coalesce(period_lead_times.change_count, 0) as change_count,
        period_lead_times.median_lead_time_hours,
        coalesce(period_deployments.failed_deployment_count, 0) as failed_deployment_count,
        cast(period_deployments.failed_deployment_count as double precision)
        / nullif(period_deployments.deployment_count, 0) as change_failure_rate,
        coalesce(period_incidents.incident_count, 0) as incident_count,
        period_incidents.median_recovery_time_hours
    from periods
    left join period_deployments
        on
            periods.repository = period_deployments.repository
            and periods.grain = period_deployments.grain
            and periods.period_start = period_deployments.period_start
    left join period_lead_times
        on
            periods.repository = period_lead_times.repository
            and periods.grain = period_lead_times.grain
            and periods.period_start = period_lead_times.period_start
    left join period_incidents
        on
            periods.repository = period_incidents.repository
            and periods.grain = period_incidents.grain
            and periods.period_start = period_incidents.period_start

),

-- The weekly deployment frequency of a period: the median deployment-days of the weeks
-- starting in it (a week's own deployment-days).
weekly_deployment_days as (

    select
        period_metrics.repository,
        period_metrics.grain,
        period_metrics.period_start,
        percentile_cont(0.5) within group (order by weeks.deployment_days)
            as median_weekly_deployment_days
    from period_metrics
    inner join period_metrics as weeks
        on
            period_metrics.repository = weeks.repository
            and weeks.grain = 'week'
            and cast(date_trunc(period_metrics.grain, weeks.period_start) as date)
            = period_metrics.period_start
    group by period_metrics.repository, period_metrics.grain, period_metrics.period_start

),

final as (

    select
        period_metrics.repository,
        period_metrics.grain,
        period_metrics.period_start,
        period_metrics.deployment_count,
        period_metrics.deployment_days,
        weekly_deployment_days.median_weekly_deployment_days,
        period_metrics.change_count,
        period_metrics.median_lead_time_hours,
        period_metrics.failed_deployment_count,
        period_metrics.change_failure_rate,
        period_metrics.incident_count,
        period_metrics.median_recovery_time_hours
    from period_metrics
    left join weekly_deployment_days
        on
            period_metrics.repository = weekly_deployment_days.repository
            and period_metrics.grain = weekly_deployment_days.grain
            and period_metrics.period_start = weekly_deployment_days.period_start

)

select * from final
