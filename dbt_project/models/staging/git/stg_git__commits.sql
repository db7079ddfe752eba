with

raw_commits as (

    select * from {{ source('raw_git', 'commits') }}

),

renamed as (

    select
        repository,
        commit_sha,
        parent_shas,
        parent_count,
        parent_count > 1 as is_merge,
        author_name,
        lower(author_email) as author_email,
        authored_at at time zone 'UTC' as authored_at,
        author_utc_offset_minutes,
        committer_name,
        lower(committer_email) as committer_email,
        committed_at at time zone 'UTC' as committed_at,
        committer_utc_offset_minutes,
        subject

    from raw_commits

)

select * from renamed
