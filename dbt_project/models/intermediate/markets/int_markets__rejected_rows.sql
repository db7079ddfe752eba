{#-
    Quarantined archive lines, each marked superseded once its file has been re-issued and the
    new version loaded (the same rule that picks a file's current candles in
    int_markets__candles_1m), with its reason's category and its file's line count.
-#}
with

rejected_rows as (

    select * from {{ ref('stg_exchange__rejected_rows') }}

),

archive_files as (

    select * from {{ ref('stg_exchange__archive_files') }}

),

current_file_versions as (

    select
        file_path,
        load_id,
        loaded_row_count + rejected_row_count as line_count

    from archive_files
    where load_status = 'loaded'

),

final as (

    select
        rejected_rows.source_file,
        rejected_rows.file_checksum,
        rejected_rows.data_type,
        rejected_rows.line_number,
        rejected_rows.raw_line,
        rejected_rows.rejection_reason,
        -- The reason without the offending value: "high is not a number: 'n/a'" -> "high is
        -- not a number".
        split_part(rejected_rows.rejection_reason, ': ', 1) as rejection_category,
        rejected_rows.rejected_at,
        rejected_rows.load_id,
        -- A line of the file's current version, or of a file whose latest download was
        -- rejected (its last good version is still the one in use), counts; a line of a
        -- version the archive has re-issued since is kept for audit only.
        coalesce(current_file_versions.load_id <> rejected_rows.load_id, false) as is_superseded,
        case
            when current_file_versions.load_id = rejected_rows.load_id
                then current_file_versions.line_count
        end as file_line_count

    from rejected_rows
    left join current_file_versions
        on rejected_rows.source_file = current_file_versions.file_path

)

select * from final
