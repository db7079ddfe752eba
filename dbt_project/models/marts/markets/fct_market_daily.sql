with

candles as (

    select * from {{ ref('int_markets__candles_1m') }}

),

daily_candles as (

    select
        exchange,
        market,
        symbol,
        cast(open_at as date) as trading_date,
        {{ first_by('open_price', 'open_at') }} as open_price,
        max(high_price) as high_price,
        min(low_price) as low_price,
        {{ last_by('close_price', 'open_at') }} as close_price,
        sum(base_volume) as base_volume,
        sum(quote_volume) as quote_volume,
        sum(trade_count) as trade_count,
        count(*) as candle_count

    from candles
    group by exchange, market, symbol, cast(open_at as date)

),

final as (

    select
        exchange,
        market,
        symbol,
        trading_date,
        cast(open_price as numeric(38, 8)) as open_price,
        cast(high_price as numeric(38, 8)) as high_price,
        cast(low_price as numeric(38, 8)) as low_price,
        cast(close_price as numeric(38, 8)) as close_price,
        cast(base_volume as numeric(38, 8)) as base_volume,
        cast(quote_volume as numeric(38, 8)) as quote_volume,
        cast(quote_volume as double precision)
        / nullif(cast(base_volume as double precision), 0) as vwap,
        cast(trade_count as bigint) as trade_count,
        cast(candle_count as integer) as candle_count,
        candle_count = 1440 as is_complete

    from daily_candles

)

select * from final
