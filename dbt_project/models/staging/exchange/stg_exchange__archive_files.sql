with

raw_archive_files as (

    select * from {{ source('raw_exchange', 'archive_files') }}

),

renamed as (

    select
        "path" as file_path,
        exchange,
        market,
        data_type,
        symbol,
        "interval" as candle_interval,
        period as archive_period,
        period_start as period_start_date,
        period_end as period_end_date,
        "checksum" as checksum_sha256,
        size_bytes,
        row_count as loaded_row_count,
        rejected_row_count,
        status as load_status,
        error as error_message,
        loaded_at at time zone 'UTC' as loaded_at,
        _dlt_load_id as load_id

    from raw_archive_files

)

select * from renamed
