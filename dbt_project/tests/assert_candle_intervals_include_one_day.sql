-- fct_market_daily takes its days from the `1d` candles of fct_candles: without `1d` (1,440
-- minutes) in the seed candle_intervals it would be empty. Returns a row when it is missing.
select '1d' as missing_candle_interval
where not exists (
    select 1
    from {{ ref('candle_intervals') }}
    where candle_interval = '1d' and minutes = 1440
)
