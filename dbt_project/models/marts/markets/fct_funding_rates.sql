with

funding_rates as (

    select * from {{ ref('int_markets__funding_rates') }}

),

final as (

    select
        exchange,
        market,
        symbol,
        funding_at,
        cast(funding_at as date) as funding_date,
        cast(funding_interval_hours as integer) as funding_interval_hours,
        cast(funding_rate as numeric(38, 8)) as funding_rate,
        {{ round_double('cast(funding_rate * 10000 as double precision)') }}
            as funding_rate_bps,
        -- Multiplied in exact decimals first, so 1, 4 and 8 hours divide without rounding noise.
        {{ round_double('cast(funding_rate * 24 as double precision) / funding_interval_hours') }}
            as daily_funding_rate,
        {{ round_double(
            'cast(funding_rate * 24 * 365 as double precision) / funding_interval_hours'
        ) }} as annualized_funding_rate,
        cast(cumulative_funding_rate as numeric(38, 8)) as cumulative_funding_rate,
        previous_funding_at,
        {{ round_double(hours_between('previous_funding_at', 'funding_at')) }}
            as hours_since_previous_funding,
        coalesce(
            funding_interval_hours <> previous_funding_interval_hours, false
        ) as is_interval_change

    from funding_rates

)

select * from final
