{#-
    The DORA tier of each metric per repository and period (`grain` week or month) of
    int_engineering__dora_periods, from the seed dora_tier_thresholds of the report year that
    applies to the period.
-#}
with

dora_periods as (

    select * from {{ ref('int_engineering__dora_periods') }}

),

tier_thresholds as (

    select * from {{ ref('dora_tier_thresholds') }}

),

report_years as (

    select distinct report_year from tier_thresholds

),

-- The latest report year up to the period's year, else the earliest.
period_report_years as (

    select
        dora_periods.repository,
        dora_periods.grain,
        dora_periods.period_start,
        coalesce(
            max(
                case
                    when report_years.report_year <= extract(year from dora_periods.period_start)
                        then report_years.report_year
                end
            ),
            min(report_years.report_year)
        ) as report_year
    from dora_periods
    cross join report_years
    group by dora_periods.repository, dora_periods.grain, dora_periods.period_start

),

-- The values the seed's bounds apply to, one row per period and measure. The weekly cadence
-- is the median week's deployment-days (a week's own); the monthly one the period's
-- deployment-days, which in a single week cannot show a monthly cadence.
measures as (

    select
        repository,
        grain,
        period_start,
        'deployment_days_per_week' as measure,
        median_weekly_deployment_days as measure_value
    from dora_periods
    union all
    select
        repository,
        grain,
        period_start,
        'deployment_days_per_month' as measure,
        cast(deployment_days as double precision) as measure_value
    from dora_periods
    union all
    select
        repository,
        grain,
        period_start,
        'median_lead_time_hours' as measure,
        median_lead_time_hours as measure_value
    from dora_periods
    union all
    select
        repository,
        grain,
        period_start,
        'change_failure_rate' as measure,
        change_failure_rate as measure_value
    from dora_periods
    union all
    select
        repository,
        grain,
        period_start,
        'median_recovery_time_hours' as measure,
        median_recovery_time_hours as measure_value
    from dora_periods

),

-- Each metric's tier: the best-ranked tier whose every bound the measure meets.
best_tiers as (

    select
        measures.repository,
        measures.grain,
        measures.period_start,
        tier_thresholds.report_year,
        tier_thresholds.metric,
        min(tier_thresholds.tier_rank) as tier_rank
    from measures
    inner join period_report_years
        on
            measures.repository = period_report_years.repository
            and measures.grain = period_report_years.grain
            and measures.period_start = period_report_years.period_start
    inner join tier_thresholds
        on
            period_report_years.report_year = tier_thresholds.report_year
            and measures.measure = tier_thresholds.measure
    where
        measures.measure_value is not null
        and (
            tier_thresholds.at_least is null
            or measures.measure_value >= tier_thresholds.at_least
        )
        and (
            tier_thresholds.at_most is null
            or measures.measure_value <= tier_thresholds.at_most
        )
        and (
            tier_thresholds.below is null
            or measures.measure_value < tier_thresholds.below
        )
    group by
        measures.repository,
        measures.grain,
        measures.period_start,
        tier_thresholds.report_year,
        tier_thresholds.metric

),

metric_tiers as (

    select
        best_tiers.repository,
        best_tiers.grain,
        best_tiers.period_start,
        max(case when best_tiers.metric = 'deployment_frequency' then tier_thresholds.tier end)
            as deployment_frequency_tier,
        max(case when best_tiers.metric = 'lead_time' then tier_thresholds.tier end)
            as lead_time_tier,
        max(case when best_tiers.metric = 'change_failure_rate' then tier_thresholds.tier end)
            as change_failure_rate_tier,
        max(case when best_tiers.metric = 'recovery_time' then tier_thresholds.tier end)
            as recovery_time_tier
    from best_tiers
    inner join tier_thresholds
        on
            best_tiers.report_year = tier_thresholds.report_year
            and best_tiers.metric = tier_thresholds.metric
            and best_tiers.tier_rank = tier_thresholds.tier_rank
    group by best_tiers.repository, best_tiers.grain, best_tiers.period_start

),

final as (

    select
        period_report_years.repository,
        period_report_years.grain,
        period_report_years.period_start,
        period_report_years.report_year as tier_report_year,
        metric_tiers.deployment_frequency_tier,
        metric_tiers.lead_time_tier,
        metric_tiers.change_failure_rate_tier,
        metric_tiers.recovery_time_tier
    from period_report_years
    left join metric_tiers
        on
            period_report_years.repository = metric_tiers.repository
            and period_report_years.grain = metric_tiers.grain
            and period_report_years.period_start = metric_tiers.period_start

)

select * from final
