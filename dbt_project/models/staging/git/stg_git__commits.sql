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
        raw_author_name,
        lower(raw_author_email) as raw_author_email,
        authored_at at time zone 'UTC' as authored_at,
        author_utc_offset_minutes,
        committer_name,
        lower(committer_email) as committer_email,
        committed_at at time zone 'UTC' as committed_at,
        committer_utc_offset_minutes,
        subject,
        coalesce(body, '') as body,
        coalesce(is_bot, false) as is_bot,
        -- `git revert` writes the subject `Revert "<subject>"` and the body line
        -- `This reverts commit <sha>.`
        coalesce(subject like 'Revert "%', false) as is_revert,
        lower(
            {{ regex_extract('body', "'This reverts commit ([0-9a-fA-F]{40})'") }}
        ) as reverted_commit_sha

    from raw_commits

)

select * from renamed
