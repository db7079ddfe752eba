with

candles as (

    select * from {{ ref('int_markets__candles_1m') }}

),

quote_assets as (

    select * from {{ ref('quote_assets') }}

),

symbol_activity as (

    select
        exchange,
        market,
        symbol,
        min(open_at) as first_candle_at,
        max(open_at) as last_candle_at,
        count(*) as candle_count

    from candles
    group by exchange, market, symbol

),

quote_asset_matches as (

    select
        symbol_activity.*,
        quote_assets.quote_asset,
        row_number() over (
            partition by symbol_activity.exchange, symbol_activity.market, symbol_activity.symbol
            order by length(quote_assets.quote_asset) desc
        ) as match_rank

    from symbol_activity
    left join quote_assets
        on
            right(symbol_activity.symbol, length(quote_assets.quote_asset))
            = quote_assets.quote_asset
            and length(symbol_activity.symbol) > length(quote_assets.quote_asset)

),

final as (

    select
        exchange,
        market,
        symbol,
        cast(
            left(symbol, length(symbol) - length(quote_asset)) as text
        ) as base_asset,
        cast(quote_asset as text) as quote_asset,
        first_candle_at,
        last_candle_at,
        cast(candle_count as bigint) as candle_count

    from quote_asset_matches
    where match_rank = 1

)

select * from final
