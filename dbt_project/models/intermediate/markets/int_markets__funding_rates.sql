with

funding_rates as (

    select * from {{ ref('stg_exchange__funding_rates') }}

),

with_previous_funding as (

    select
        exchange,
        market,
        symbol,
        funding_at,
        funding_interval_hours,
        funding_rate,
        lag(funding_at) over (
            partition by exchange, market, symbol
            order by funding_at
        ) as previous_funding_at,
        lag(funding_interval_hours) over (
            partition by exchange, market, symbol
            order by funding_at
        ) as previous_funding_interval_hours,
        cast(
            sum(funding_rate) over (
                partition by exchange, market, symbol
                order by funding_at
                rows between unbounded preceding and current row
            ) as numeric(38, 8)
        ) as cumulative_funding_rate,
        load_id

    from funding_rates

),

final as (

    select * from with_previous_funding

)

select * from final
