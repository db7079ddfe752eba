with

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

final as (

    select
        cast(repository as text) as repository,
        cast(commit_sha as text) as commit_sha,
        cast(author_name as text) as author_name,
        cast(author_email as text) as author_email,
        authored_at,
        committed_at,
        cast(committed_at as date) as committed_date,
        is_merge,
        cast(parent_count as integer) as parent_count,
        cast(files_changed as integer) as files_changed,
        cast(lines_added as bigint) as lines_added,
        cast(lines_deleted as bigint) as lines_deleted,
        cast(subject as text) as subject

    from commit_changes

)

select * from final
