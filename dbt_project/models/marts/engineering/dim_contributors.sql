with

contributors as (

    select * from {{ ref('int_engineering__contributors') }}

),

final as (

    select
        cast(contributor_id as text) as contributor_id,
        cast(contributor_name as text) as contributor_name,
        cast(primary_email as text) as primary_email,
        cast(github_login as text) as github_login,
        cast(is_bot as boolean) as is_bot,
        cast(email_count as integer) as email_count,
        cast(github_login_count as integer) as github_login_count,
        first_commit_at,
        last_commit_at,
        cast(commit_count as integer) as commit_count,
        cast(merge_commit_count as integer) as merge_commit_count,
        cast(repository_count as integer) as repository_count

    from contributors

)

select * from final
