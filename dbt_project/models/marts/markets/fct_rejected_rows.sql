with

rejected_rows as (

    select * from {{ ref('int_markets__rejected_rows') }}

),

final as (

    select
        cast(source_file as text) as source_file,
        cast(file_checksum as text) as file_checksum,
        cast(data_type as text) as data_type,
        cast(line_number as bigint) as line_number,
        cast(raw_line as text) as raw_line,
        cast(rejection_reason as text) as rejection_reason,
        cast(rejection_category as text) as rejection_category,
        cast(rejected_at as timestamp) as rejected_at,
        cast(rejected_at as date) as rejected_date,
        is_superseded,
        cast(file_line_count as bigint) as file_line_count

    from rejected_rows

)

select * from final
