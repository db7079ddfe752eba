-- Every daily candle must be a possible candle: low <= open, close <= high, and no negative volume.
select
    exchange,
    market,
    symbol,
    trading_date
from {{ ref('fct_market_daily') }}
where
    low_price > open_price
    or low_price > close_price
    or high_price < open_price
    or high_price < close_price
    or base_volume < 0
    or quote_volume < 0
