with

raw_issues as (

    select * from {{ optional_source('raw_github', 'issues') }}

),

renamed as (

    select
        repository,
        id as issue_id,
        number as issue_number,
        title,
        state,
        user__login as author_login,
        {{ is_bot_login('user__login', 'user__type') }} as is_author_bot,
        created_at at time zone 'UTC' as created_at,
        updated_at at time zone 'UTC' as updated_at,
        closed_at at time zone 'UTC' as closed_at,
        coalesce(is_pull_request, false) as is_pull_request

    from raw_issues

)

select * from renamed
