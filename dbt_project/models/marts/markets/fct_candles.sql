{{
    config(
        materialized='incremental',
        unique_key=['exchange', 'market', 'symbol', 'candle_interval', 'open_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with

candles_1m as (

    select * from {{ ref('int_markets__candles_1m') }}

),

candle_intervals as (

    select * from {{ ref('candle_intervals') }}

),

{% if is_incremental() %}

built_candles as (

    select * from {{ this }}

),

watermark as (

    -- The newest load already resampled; text order of dlt load ids is load order.
    select coalesce(max(latest_load_id), '') as newest_built_load_id
    from built_candles

),

new_candles as (

    -- A minute without a load id (raw rows loaded without `_dlt_load_id`) counts as new on
    -- every run: slower, never stale.
    select candles_1m.*
    from candles_1m
    where
        candles_1m.load_id is null
        or candles_1m.load_id > (select watermark.newest_built_load_id from watermark)

),

new_intervals as (

    -- Intervals added to the seed since the last run: computed in full.
    select candle_intervals.*
    from candle_intervals
    where not exists (
        select 1
        from built_candles
        where built_candles.candle_interval = candle_intervals.candle_interval
    )

),

touched_days as (

    -- The UTC days of a series that hold a new minute: each is resampled again whole, in every
    -- interval (every interval divides a day), and replaces the day's stored buckets.
    select distinct
        exchange,
        market,
        symbol,
        cast(open_at as date) as open_date
    from new_candles

),

{% endif %}

candles_in_scope as (

    select
        candles_1m.*,
        {% if is_incremental() %}
            touched_days.open_date is not null as is_in_touched_day
        {% else %}
            true as is_in_touched_day
        {% endif %}
    from candles_1m
    {% if is_incremental() %}
        left join touched_days
            on
                candles_1m.exchange = touched_days.exchange
                and candles_1m.market = touched_days.market
                and candles_1m.symbol = touched_days.symbol
                and cast(candles_1m.open_at as date) = touched_days.open_date
        where
            touched_days.open_date is not null
            or exists (select 1 from new_intervals)
    {% endif %}

),

bucketed_candles as (

    select
        candles_in_scope.exchange,
        candles_in_scope.market,
        candles_in_scope.symbol,
        candle_intervals.candle_interval,
        candle_intervals.minutes as interval_minutes,
        {{ bucket_start('candles_in_scope.open_at', 'candle_intervals.minutes') }}
            as bucket_open_at,
        candles_in_scope.open_at as minute_open_at,
        candles_in_scope.open_price,
        candles_in_scope.high_price,
        candles_in_scope.low_price,
        candles_in_scope.close_price,
        candles_in_scope.base_volume,
        candles_in_scope.quote_volume,
        candles_in_scope.trade_count,
        candles_in_scope.taker_buy_base_volume,
        candles_in_scope.taker_buy_quote_volume,
        candles_in_scope.load_id,
        candles_in_scope.is_in_touched_day

    from candles_in_scope
    cross join candle_intervals

),

resampled as (

    select
        exchange,
        market,
        symbol,
        candle_interval,
        interval_minutes,
        bucket_open_at,
        {{ first_by('open_price', 'minute_open_at') }} as open_price,
        max(high_price) as high_price,
        min(low_price) as low_price,
        {{ last_by('close_price', 'minute_open_at') }} as close_price,
        sum(base_volume) as base_volume,
        -- A total is only known when every minute has it (ccxt minutes have no quote volume,
        -- trade count or taker volumes).
        case when count(quote_volume) = count(*) then sum(quote_volume) end as quote_volume,
        case when count(trade_count) = count(*) then sum(trade_count) end as trade_count,
        case
            when count(taker_buy_base_volume) = count(*) then sum(taker_buy_base_volume)
        end as taker_buy_base_volume,
        case
            when count(taker_buy_quote_volume) = count(*) then sum(taker_buy_quote_volume)
        end as taker_buy_quote_volume,
        count(*) as candle_count,
        max(load_id) as latest_load_id

    from bucketed_candles
    group by exchange, market, symbol, candle_interval, interval_minutes, bucket_open_at
    {% if is_incremental() %}
        -- Every bucket of a touched day, and every bucket of a new interval; each from all
        -- its minutes, old and new.
        having
            bool_or(is_in_touched_day)
            or candle_interval in (select new_intervals.candle_interval from new_intervals)
    {% endif %}

),

final as (

    select
        -- Text as the contract says: Postgres compares an incremental run's columns with the
        -- table's, and raw columns are `character varying` there.
        cast(exchange as text) as exchange,
        cast(market as text) as market,
        cast(symbol as text) as symbol,
        cast(candle_interval as text) as candle_interval,
        cast(interval_minutes as integer) as interval_minutes,
        bucket_open_at as open_at,
        bucket_open_at
        + interval_minutes * interval '1 minute'
        - interval '1 millisecond' as close_at,
        cast(bucket_open_at as date) as open_date,
        cast(open_price as numeric(38, 8)) as open_price,
        cast(high_price as numeric(38, 8)) as high_price,
        cast(low_price as numeric(38, 8)) as low_price,
        cast(close_price as numeric(38, 8)) as close_price,
        cast(base_volume as numeric(38, 8)) as base_volume,
        cast(quote_volume as numeric(38, 8)) as quote_volume,
        cast(taker_buy_base_volume as numeric(38, 8)) as taker_buy_base_volume,
        cast(taker_buy_quote_volume as numeric(38, 8)) as taker_buy_quote_volume,
        {{ round_double(
            'cast(quote_volume as double precision)'
            ~ ' / nullif(cast(base_volume as double precision), 0)'
        ) }} as vwap,
        cast(trade_count as bigint) as trade_count,
        cast(candle_count as integer) as candle_count,
        cast(interval_minutes as integer) as expected_candle_count,
        candle_count = interval_minutes as is_complete,
        cast(latest_load_id as text) as latest_load_id

    from resampled

)

select * from final
