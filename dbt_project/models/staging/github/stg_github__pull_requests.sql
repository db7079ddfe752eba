with

raw_pull_requests as (

    select * from {{ optional_source('raw_github', 'pull_requests') }}

),

renamed as (

    select
        repository,
        id as pull_request_id,
        number as pull_request_number,
        title,
        state,
        coalesce(draft, false) as is_draft,
        user__login as author_login,
        {{ is_bot_login('user__login', 'user__type') }} as is_author_bot,
        created_at at time zone 'UTC' as created_at,
        updated_at at time zone 'UTC' as updated_at,
        closed_at at time zone 'UTC' as closed_at,
        merged_at at time zone 'UTC' as merged_at,
        merge_commit_sha,
        head__ref as head_branch,
        head__sha as head_sha,
        base__ref as base_branch,
        html_url

    from raw_pull_requests

)

select * from renamed
