with

candles as (

    select * from {{ ref('int_markets__candles_1m') }}

),

maintenance_windows as (

    select * from {{ ref('exchange_maintenance_windows') }}

),

candles_with_next as (

    select
        exchange,
        market,
        symbol,
        open_at,
        lead(open_at) over (
            partition by exchange, market, symbol
            order by open_at
        ) as next_open_at

    from candles

),

gaps as (

    select
        exchange,
        market,
        symbol,
        open_at as previous_candle_at,
        next_open_at as next_candle_at,
        open_at + interval '1 minute' as first_missing_at,
        next_open_at - interval '1 minute' as last_missing_at,
        {{ minutes_between('open_at', 'next_open_at') }} - 1 as missing_minute_count

    from candles_with_next
    where next_open_at > open_at + interval '1 minute'

),

gap_windows as (

    -- A gap covers [first_missing_at, next_candle_at); a window covers [starts_at, ends_at).
    select
        gaps.*,
        maintenance_windows.starts_at as maintenance_starts_at,
        maintenance_windows.description as maintenance_description,
        row_number() over (
            partition by gaps.exchange, gaps.market, gaps.symbol, gaps.first_missing_at
            order by maintenance_windows.starts_at
        ) as window_rank

    from gaps
    left join maintenance_windows
        on
            gaps.exchange = maintenance_windows.exchange
            and gaps.first_missing_at < maintenance_windows.ends_at
            and gaps.next_candle_at > maintenance_windows.starts_at

),

final as (

    select
        exchange,
        market,
        symbol,
        previous_candle_at,
        next_candle_at,
        first_missing_at,
        last_missing_at,
        missing_minute_count,
        case
            when maintenance_starts_at is not null then 'maintenance'
            when missing_minute_count <= {{ var('max_no_trade_gap_minutes') }} then 'no_trades'
            else 'missing_data'
        end as gap_reason,
        maintenance_description

    from gap_windows
    where window_rank = 1

)

select * from final
