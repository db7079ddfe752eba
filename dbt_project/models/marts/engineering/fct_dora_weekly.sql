{#-
    DORA metrics per repository and week (Monday to Sunday, UTC): the weeks of
    int_engineering__dora_periods with their tiers, stated.
-#}
with

dora_periods as (

    select * from {{ ref('int_engineering__dora_periods') }}

),

dora_tiers as (

    select * from {{ ref('int_engineering__dora_tiers') }}

),

final as (

    select
        cast(dora_periods.repository as text) as repository,
        cast(dora_periods.period_start as date) as week_start,
        cast(dora_periods.deployment_count as integer) as deployment_count,
        cast(dora_periods.deployment_days as integer) as deployment_days,
        cast(dora_periods.change_count as integer) as change_count,
        {{ round_double('cast(dora_periods.median_lead_time_hours as double precision)') }}
            as median_lead_time_hours,
        cast(dora_periods.failed_deployment_count as integer) as failed_deployment_count,
        {{ round_double('cast(dora_periods.change_failure_rate as double precision)') }}
            as change_failure_rate,
        cast(dora_periods.incident_count as integer) as incident_count,
        {{ round_double('cast(dora_periods.median_recovery_time_hours as double precision)') }}
            as median_recovery_time_hours,
        cast(dora_tiers.tier_report_year as integer) as tier_report_year,
        cast(dora_tiers.deployment_frequency_tier as text) as deployment_frequency_tier,
        cast(dora_tiers.lead_time_tier as text) as lead_time_tier,
        cast(dora_tiers.change_failure_rate_tier as text) as change_failure_rate_tier,
        cast(dora_tiers.recovery_time_tier as text) as recovery_time_tier

    from dora_periods
    left join dora_tiers
        on
            dora_periods.repository = dora_tiers.repository
            and dora_periods.grain = dora_tiers.grain
            and dora_periods.period_start = dora_tiers.period_start
    where dora_periods.grain = 'week'

)

select * from final
