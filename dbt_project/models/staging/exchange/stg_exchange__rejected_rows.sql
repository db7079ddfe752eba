with

raw_rejected_rows as (

    select * from {{ source('raw_exchange', 'rejected_rows') }}

),

renamed as (

    select
        source_file,
        "checksum" as file_checksum,
        data_type,
        line_number,
        raw_line,
        reason as rejection_reason,
        rejected_at at time zone 'UTC' as rejected_at,
        _dlt_load_id as load_id

    from raw_rejected_rows

)

select * from renamed
