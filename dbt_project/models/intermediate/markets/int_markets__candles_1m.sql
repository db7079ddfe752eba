with

klines as (

    select * from {{ ref('stg_exchange__klines') }}

),

one_minute_candles as (

    select * from klines
    where candle_interval = '1m'

),

ranked_by_source as (

    select
        *,
        row_number() over (
            partition by exchange, market, symbol, open_at
            order by case data_source when 'archive' then 1 else 2 end
        ) as source_rank

    from one_minute_candles

),

final as (

    select
        exchange,
        market,
        symbol,
        open_at,
        open_price,
        high_price,
        low_price,
        close_price,
        base_volume,
        quote_volume,
        trade_count,
        taker_buy_base_volume,
        taker_buy_quote_volume,
        vwap,
        data_source

    from ranked_by_source
    where source_rank = 1

)

select * from final
