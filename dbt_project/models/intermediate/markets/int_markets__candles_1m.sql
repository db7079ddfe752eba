with

klines as (

    select * from {{ ref('stg_exchange__klines') }}

),

archive_files as (

    select * from {{ ref('stg_exchange__archive_files') }}

),

current_file_versions as (

    select
        file_path,
        load_id

    from archive_files
    where load_status = 'loaded'

),

one_minute_candles as (

    -- An archive row belongs to the current version of its file, or to a version the archive
    -- has re-issued since (raw keeps such rows only from loads before the loader replaced a
    -- re-issued file's rows): leave those out. A file whose latest download was rejected
    -- keeps the rows of its last good version.
    select klines.*
    from klines
    left join current_file_versions
        on klines.source_file = current_file_versions.file_path
    where
        klines.candle_interval = '1m'
        and (
            current_file_versions.file_path is null
            or klines.load_id = current_file_versions.load_id
        )

),

ranked_by_source as (

    select
        *,
        row_number() over (
            partition by exchange, market, symbol, open_at
            order by
                case data_source
                    when 'archive' then 1
                    when 'rest' then 2
                    when 'ccxt' then 3
                    else 4
                end,
                load_id desc
        ) as source_rank

    from one_minute_candles

),

final as (

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
        taker_buy_base_volume,
        taker_buy_quote_volume,
        vwap,
        data_source,
        load_id

    from ranked_by_source
    where source_rank = 1

)

select * from final
