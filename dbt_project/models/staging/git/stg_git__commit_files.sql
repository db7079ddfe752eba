with

raw_commit_files as (

    select * from {{ source('raw_git', 'commit_files') }}

),

renamed as (

    select
        repository,
        commit_sha,
        file_path,
        lines_added,
        lines_deleted,
        is_binary

    from raw_commit_files

)

select * from renamed
