with

klines as (

    select * from {{ ref('stg_exchange__klines') }}

),

series as (

    select
        exchange,
        market,
        symbol,
        candle_interval,
        -- The shortest candle of the series, rounded to the second: 60 for 1m, 86400 for 1d
        -- (close_at is the candle's last millisecond).
        cast(
            round(min(extract(epoch from close_at) - extract(epoch from open_at))) as bigint
        ) as interval_seconds,
        min(open_at) as first_open_at,
        max(open_at) as last_open_at,
        count(distinct open_at) as candle_count,
        string_agg(distinct data_source, ', ' order by data_source) as data_sources

    from klines
    group by exchange, market, symbol, candle_interval

),

final as (

    select * from series

)

select * from final
