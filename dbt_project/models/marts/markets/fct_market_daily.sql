{#-
    The daily candles of fct_candles (interval `1d`) with their returns, and the realised
    volatility of each day from its one-minute log returns.
-#}
with

daily_candles as (

    select * from {{ ref('fct_candles') }}
    where candle_interval = '1d'

),

candles_1m as (

    select * from {{ ref('int_markets__candles_1m') }}

),

minute_returns as (

    -- Each minute is compared with the previous available minute of the same series, even across
    -- a day boundary or a gap; the series' first minute with its own open.
    select
        exchange,
        market,
        symbol,
        open_at,
        close_price,
        lag(close_price, 1, open_price) over (
            partition by exchange, market, symbol
            order by open_at
        ) as reference_price

    from candles_1m

),

minute_log_returns as (

    -- Non-positive prices have no log return.
    select
        *,
        case
            when close_price > 0 and reference_price > 0
                then ln(
                    cast(close_price as double precision)
                    / cast(reference_price as double precision)
                )
        end as log_return

    from minute_returns

),

daily_volatility as (

    select
        exchange,
        market,
        symbol,
        cast(open_at as date) as trading_date,
        -- Added exactly (exact_sum): two builds of the same data give the same bits.
        sqrt({{ exact_sum('log_return * log_return') }}) as realized_volatility

    from minute_log_returns
    group by exchange, market, symbol, cast(open_at as date)

),

daily_returns as (

    select
        daily_candles.exchange,
        daily_candles.market,
        daily_candles.symbol,
        cast(daily_candles.open_at as date) as trading_date,
        daily_candles.open_price,
        daily_candles.high_price,
        daily_candles.low_price,
        daily_candles.close_price,
        daily_candles.base_volume,
        daily_candles.quote_volume,
        daily_candles.vwap,
        daily_candles.trade_count,
        daily_candles.candle_count,
        daily_candles.is_complete,
        lag(daily_candles.close_price) over (
            partition by daily_candles.exchange, daily_candles.market, daily_candles.symbol
            order by daily_candles.open_at
        ) as previous_close_price

    from daily_candles

),

final as (

    select
        daily_returns.exchange,
        daily_returns.market,
        daily_returns.symbol,
        daily_returns.trading_date,
        cast(daily_returns.open_price as numeric(38, 8)) as open_price,
        cast(daily_returns.high_price as numeric(38, 8)) as high_price,
        cast(daily_returns.low_price as numeric(38, 8)) as low_price,
        cast(daily_returns.close_price as numeric(38, 8)) as close_price,
        cast(daily_returns.base_volume as numeric(38, 8)) as base_volume,
        cast(daily_returns.quote_volume as numeric(38, 8)) as quote_volume,
        daily_returns.vwap,
        cast(daily_returns.trade_count as bigint) as trade_count,
        cast(daily_returns.candle_count as integer) as candle_count,
        daily_returns.is_complete,
        cast(daily_returns.previous_close_price as numeric(38, 8)) as previous_close_price,
        -- (close - previous) / previous: the subtraction is exact in numeric.
        {{ round_double(
            'case when daily_returns.previous_close_price > 0 then'
            ~ ' cast(daily_returns.close_price - daily_returns.previous_close_price'
            ~ ' as double precision)'
            ~ ' / cast(daily_returns.previous_close_price as double precision) end'
        ) }} as simple_return,
        {{ round_double(
            'case when daily_returns.close_price > 0'
            ~ ' and daily_returns.previous_close_price > 0 then ln('
            ~ 'cast(daily_returns.close_price as double precision)'
            ~ ' / cast(daily_returns.previous_close_price as double precision)) end'
        ) }} as log_return,
        cast(daily_returns.high_price - daily_returns.low_price as numeric(38, 8)) as price_range,
        {{ round_double(
            'cast(daily_returns.high_price - daily_returns.low_price as double precision)'
            ~ ' / nullif(cast(daily_returns.open_price as double precision), 0)'
        ) }} as range_pct,
        {{ round_double('daily_volatility.realized_volatility') }} as realized_volatility,
        {{ round_double(
            'daily_volatility.realized_volatility * sqrt(cast(365 as double precision))'
        ) }} as realized_volatility_annualized

    from daily_returns
    left join daily_volatility
        on
            daily_returns.exchange = daily_volatility.exchange
            and daily_returns.market = daily_volatility.market
            and daily_returns.symbol = daily_volatility.symbol
            and daily_returns.trading_date = daily_volatility.trading_date

)

select * from final
