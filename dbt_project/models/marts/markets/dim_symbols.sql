with

candles as (

    select * from {{ ref('int_markets__candles_1m') }}

),

native_candle_series as (

    select * from {{ ref('int_markets__native_candle_series') }}

),

quote_assets as (

    select * from {{ ref('quote_assets') }}

),

symbols_loaded as (

    select
        exchange,
        market,
        symbol,
        string_agg(
            candle_interval, ', ' order by interval_seconds, candle_interval
        ) as native_intervals,
        min(first_open_at) as first_native_candle_at,
        max(last_open_at) as last_native_candle_at

    from native_candle_series
    group by exchange, market, symbol

),

one_minute_activity as (

    select
        exchange,
        market,
        symbol,
        min(open_at) as first_candle_at,
        max(open_at) as last_candle_at,
        count(*) as candle_count,
        string_agg(distinct data_source, ', ' order by data_source) as data_sources

    from candles
    group by exchange, market, symbol

),

quote_asset_matches as (

    select
        symbols_loaded.*,
        quote_assets.quote_asset,
        row_number() over (
            partition by symbols_loaded.exchange, symbols_loaded.market, symbols_loaded.symbol
            order by length(quote_assets.quote_asset) desc
        ) as match_rank

    from symbols_loaded
    left join quote_assets
        on
            right(symbols_loaded.symbol, length(quote_assets.quote_asset))
            = quote_assets.quote_asset
            and length(symbols_loaded.symbol) > length(quote_assets.quote_asset)

),

final as (

    select
        quote_asset_matches.exchange,
        quote_asset_matches.market,
        quote_asset_matches.symbol,
        cast(
            left(
                quote_asset_matches.symbol,
                length(quote_asset_matches.symbol) - length(quote_asset_matches.quote_asset)
            ) as text
        ) as base_asset,
        cast(quote_asset_matches.quote_asset as text) as quote_asset,
        cast(quote_asset_matches.native_intervals as text) as native_intervals,
        cast(one_minute_activity.data_sources as text) as data_sources,
        quote_asset_matches.first_native_candle_at,
        quote_asset_matches.last_native_candle_at,
        one_minute_activity.first_candle_at,
        one_minute_activity.last_candle_at,
        cast(coalesce(one_minute_activity.candle_count, 0) as bigint) as candle_count

    from quote_asset_matches
    left join one_minute_activity
        on
            quote_asset_matches.exchange = one_minute_activity.exchange
            and quote_asset_matches.market = one_minute_activity.market
            and quote_asset_matches.symbol = one_minute_activity.symbol
    where quote_asset_matches.match_rank = 1

)

select * from final
