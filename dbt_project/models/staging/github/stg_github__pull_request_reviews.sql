with

raw_pull_request_reviews as (

    select * from {{ optional_source('raw_github', 'pull_request_reviews') }}

),

renamed as (

    select
        repository,
        id as review_id,
        pull_request_number,
        user__login as reviewer_login,
        {{ is_bot_login('user__login', 'user__type') }} as is_reviewer_bot,
        state as review_state,
        submitted_at at time zone 'UTC' as submitted_at,
        commit_id as commit_sha

    from raw_pull_request_reviews

)

select * from renamed
