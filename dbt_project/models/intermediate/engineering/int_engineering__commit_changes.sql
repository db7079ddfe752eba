with

commits as (

    select * from {{ ref('stg_git__commits') }}

),

commit_files as (

    select * from {{ ref('stg_git__commit_files') }}

),

changes_per_commit as (

    select
        repository,
        commit_sha,
        count(*) as files_changed,
        sum(case when is_binary then 1 else 0 end) as binary_files_changed,
        coalesce(sum(lines_added), 0) as lines_added,
        coalesce(sum(lines_deleted), 0) as lines_deleted

    from commit_files
    group by repository, commit_sha

),

final as (

    select
        commits.repository,
        commits.commit_sha,
        commits.parent_count,
        commits.is_merge,
        commits.author_name,
        commits.author_email,
        commits.authored_at,
        commits.committer_name,
        commits.committer_email,
        commits.committed_at,
        commits.subject,
        coalesce(changes_per_commit.files_changed, 0) as files_changed,
        coalesce(changes_per_commit.binary_files_changed, 0) as binary_files_changed,
        coalesce(changes_per_commit.lines_added, 0) as lines_added,
        coalesce(changes_per_commit.lines_deleted, 0) as lines_deleted

    from commits
    left join changes_per_commit
        on
            commits.repository = changes_per_commit.repository
            and commits.commit_sha = changes_per_commit.commit_sha

)

select * from final
