with

raw_klines as (

    select * from {{ source('raw_exchange', 'klines') }}

),

renamed as (

    select
        exchange,
        market,
        symbol,
        "interval" as candle_interval,
        open_time at time zone 'UTC' as open_at,
        -- Millisecond files close at open + 59.999 s, microsecond files at open + 59.999999 s:
        -- truncated to the millisecond, both say the same.
        date_trunc('milliseconds', close_time at time zone 'UTC') as close_at,
        open as open_price,
        high as high_price,
        low as low_price,
        "close" as close_price,
        volume as base_volume,
        quote_volume,
        trade_count,
        taker_buy_volume as taker_buy_base_volume,
        taker_buy_quote_volume,
        cast(quote_volume as double precision)
        / nullif(cast(volume as double precision), 0) as vwap,
        data_source,
        source_file,
        _dlt_load_id as load_id

    from raw_klines

)

select * from renamed
