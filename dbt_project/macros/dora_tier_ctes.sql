{#
    dora_tier_ctes(period_start, deployment_days_per_week): the CTEs that give each period of a
    DORA mart its tiers, shared by fct_dora_weekly and fct_dora_monthly. They read the CTEs
    `metrics` (one row per repository and period, with `deployment_days`,
    `median_lead_time_hours`, `change_failure_rate`, `median_recovery_time_hours`) and
    `tier_thresholds` (the seed), and define:
    - `period_report_years`: per repository and period, the report year whose thresholds apply
      (the latest up to the period's year, else the earliest);
    - `tiers`: per repository and period, the tier of each of the four metrics.
    `period_start` names the period column of `metrics`; `deployment_days_per_week` is the
    expression over `metrics` measured against the weekly frequency bounds.
#}
{% macro dora_tier_ctes(period_start, deployment_days_per_week) -%}
report_years as (

    select distinct report_year from tier_thresholds

),

period_report_years as (

    select
        metrics.repository,
        metrics.{{ period_start }},
        coalesce(
            max(
                case
                    when report_years.report_year <= extract(year from metrics.{{ period_start }})
                        then report_years.report_year
                end
            ),
            min(report_years.report_year)
        ) as report_year
    from metrics
    cross join report_years
    group by metrics.repository, metrics.{{ period_start }}

),

measures as (

    {%- set measures = {
        'deployment_days_per_week': deployment_days_per_week,
        'deployment_days_per_month': 'cast(deployment_days as double precision)',
        'median_lead_time_hours': 'median_lead_time_hours',
        'change_failure_rate': 'change_failure_rate',
        'median_recovery_time_hours': 'median_recovery_time_hours',
    } %}
    {%- for measure, expression in measures.items() %}
    select
        repository,
        {{ period_start }},
        '{{ measure }}' as measure,
        {{ expression }} as measure_value
    from metrics
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

-- Each metric's tier: the best-ranked tier whose every bound the measure meets.
best_tiers as (

    select
        measures.repository,
        measures.{{ period_start }},
        tier_thresholds.report_year,
        tier_thresholds.metric,
        min(tier_thresholds.tier_rank) as tier_rank
    from measures
    inner join period_report_years
        on
            measures.repository = period_report_years.repository
            and measures.{{ period_start }} = period_report_years.{{ period_start }}
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
        measures.{{ period_start }},
        tier_thresholds.report_year,
        tier_thresholds.metric

),

tiers as (

    select
        best_tiers.repository,
        best_tiers.{{ period_start }},
        {%- for metric in ['deployment_frequency', 'lead_time', 'change_failure_rate', 'recovery_time'] %}
        max(case when best_tiers.metric = '{{ metric }}' then tier_thresholds.tier end)
            as {{ metric }}_tier{{ ',' if not loop.last }}
        {%- endfor %}
    from best_tiers
    inner join tier_thresholds
        on
            best_tiers.report_year = tier_thresholds.report_year
            and best_tiers.metric = tier_thresholds.metric
            and best_tiers.tier_rank = tier_thresholds.tier_rank
    group by best_tiers.repository, best_tiers.{{ period_start }}

)
{%- endmacro %}
