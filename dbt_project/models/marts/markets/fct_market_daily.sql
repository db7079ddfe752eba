with

candles as (

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
        open_price,
        high_price,
        low_price,
        close_price,
        base_volume,
        quote_volume,
        trade_count,
        lag(close_price, 1, open_price) over (
            partition by exchange, market, symbol
            order by open_at
        ) as reference_price

    from candles

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
        count(*) as candle_count,
        -- Added exactly (exact_sum): two builds of the same data give the same bits.
        sqrt({{ exact_sum('log_return * log_return') }}) as realized_volatility

    from minute_log_returns
    group by exchange, market, symbol, cast(open_at as date)

),

daily_returns as (

    select
        *,
        lag(close_price) over (
            partition by exchange, market, symbol
            order by trading_date
        ) as previous_close_price

    from daily_candles

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
        {{ round_double(
            'cast(quote_volume as double precision)'
            ~ ' / nullif(cast(base_volume as double precision), 0)'
        ) }} as vwap,
        cast(trade_count as bigint) as trade_count,
        cast(candle_count as integer) as candle_count,
        candle_count = 1440 as is_complete,
        cast(previous_close_price as numeric(38, 8)) as previous_close_price,
        -- (close - previous) / previous: the subtraction is exact in numeric.
        {{ round_double(
            'case when previous_close_price > 0 then'
            ~ ' cast(close_price - previous_close_price as double precision)'
            ~ ' / cast(previous_close_price as double precision) end'
        ) }} as simple_return,
        {{ round_double(
            'case when close_price > 0 and previous_close_price > 0 then ln('
            ~ 'cast(close_price as double precision)'
            ~ ' / cast(previous_close_price as double precision)) end'
        ) }} as log_return,
        cast(high_price - low_price as numeric(38, 8)) as price_range,
        {{ round_double(
            'cast(high_price - low_price as double precision)'
            ~ ' / nullif(cast(open_price as double precision), 0)'
        ) }} as range_pct,
        {{ round_double('realized_volatility') }} as realized_volatility,
        {{ round_double('realized_volatility * sqrt(cast(365 as double precision))') }}
            as realized_volatility_annualized

    from daily_returns

)

select * from final
