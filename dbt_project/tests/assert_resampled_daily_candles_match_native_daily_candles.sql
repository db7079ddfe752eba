-- fct_candles resamples one-minute candles into days; the archive also publishes its own daily
-- candles. For every day both have, open, high, low, close, volumes and trades must agree
-- exactly (and so must the close time). Rows returned are the days that disagree.
-- Dagster shows it as a check of fct_candles (it reads staging too).
{{ config(meta={'dagster': {'ref': {'name': 'fct_candles'}}}) }}

with

resampled_days as (

    select * from {{ ref('fct_candles') }}
    where candle_interval = '1d'

),

native_days as (

    select * from {{ ref('stg_exchange__klines') }}
    where candle_interval = '1d' and data_source = 'archive'

),

disagreements as (

    select
        resampled_days.exchange,
        resampled_days.market,
        resampled_days.symbol,
        resampled_days.open_at,
        resampled_days.candle_count,
        native_days.source_file

    from resampled_days
    inner join native_days
        on
            resampled_days.exchange = native_days.exchange
            and resampled_days.market = native_days.market
            and resampled_days.symbol = native_days.symbol
            and resampled_days.open_at = native_days.open_at
    where
        resampled_days.close_at is distinct from native_days.close_at
        or resampled_days.open_price is distinct from native_days.open_price
        or resampled_days.high_price is distinct from native_days.high_price
        or resampled_days.low_price is distinct from native_days.low_price
        or resampled_days.close_price is distinct from native_days.close_price
        or resampled_days.base_volume is distinct from native_days.base_volume
        or resampled_days.quote_volume is distinct from native_days.quote_volume
        or resampled_days.trade_count is distinct from native_days.trade_count
        or resampled_days.taker_buy_base_volume is distinct from native_days.taker_buy_base_volume
        or resampled_days.taker_buy_quote_volume
        is distinct from native_days.taker_buy_quote_volume

)

select * from disagreements
