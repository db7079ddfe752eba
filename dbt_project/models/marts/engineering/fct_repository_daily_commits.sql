{#-
    Commits per repository and UTC day. A commit with an implausible date (a wrong clock, see
    int_engineering__commit_changes) is left out: its day is the clock's error, not when the
    work happened (it stays in fct_commits, flagged).
-#}
with

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

daily_commits as (

    select
        repository,
        cast(committed_at as date) as committed_date,
        sum(case when is_merge then 0 else 1 end) as commit_count,
        sum(case when is_merge then 1 else 0 end) as merge_commit_count,
        count(distinct case when not is_merge then author_email end) as author_count,
        sum(case when is_merge then 0 else lines_added end) as lines_added,
        sum(case when is_merge then 0 else lines_deleted end) as lines_deleted

    from commit_changes
    where not has_implausible_date
    group by repository, cast(committed_at as date)

),

final as (

    select
        cast(repository as text) as repository,
        committed_date,
        cast(commit_count as integer) as commit_count,
        cast(merge_commit_count as integer) as merge_commit_count,
        cast(author_count as integer) as author_count,
        cast(lines_added as bigint) as lines_added,
        cast(lines_deleted as bigint) as lines_deleted

    from daily_commits

)

select * from final
