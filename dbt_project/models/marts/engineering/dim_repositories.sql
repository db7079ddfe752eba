with

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

repository_history as (

    select
        repository,
        min(committed_at) as first_commit_at,
        max(committed_at) as last_commit_at,
        sum(case when is_merge then 0 else 1 end) as commit_count,
        sum(case when is_merge then 1 else 0 end) as merge_commit_count,
        count(distinct author_email) as author_count

    from commit_changes
    group by repository

),

final as (

    select
        cast(repository as text) as repository,
        first_commit_at,
        last_commit_at,
        cast(commit_count as integer) as commit_count,
        cast(merge_commit_count as integer) as merge_commit_count,
        cast(author_count as integer) as author_count

    from repository_history

)

select * from final
