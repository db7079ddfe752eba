{#-
    Each commit with the size of its change and its place on the default branch. Only files of
    commits still in `stg_git__commits` count: a commit removed by a force-push takes its files
    along even before the loader deletes them. A commit whose author or committer date is
    implausible (macros/plausible_dates.sql: before git existed, or after its clone was read)
    is flagged: the DORA periods and lead times leave it out.
-#}
{#- No commit is younger than the clone that holds it; a clone loaded before reads were
    recorded (no `stg_git__repositories` row) is bounded by the build time. -#}
{%- set clone_read_at = 'coalesce(repositories.read_at, ' ~ utc_now() ~ ')' -%}

with

commits as (

    select * from {{ ref('stg_git__commits') }}

),

commit_files as (

    select * from {{ ref('stg_git__commit_files') }}

),

default_branch_commits as (

    select * from {{ ref('stg_git__default_branch_commits') }}

),

repositories as (

    select * from {{ ref('stg_git__repositories') }}

),

changes_per_commit as (

    select
        commit_files.repository,
        commit_files.commit_sha,
        count(*) as files_changed,
        sum(case when commit_files.is_binary then 1 else 0 end) as binary_files_changed,
        coalesce(sum(commit_files.lines_added), 0) as lines_added,
        coalesce(sum(commit_files.lines_deleted), 0) as lines_deleted

    from commit_files
    inner join commits
        on
            commit_files.repository = commits.repository
            and commit_files.commit_sha = commits.commit_sha
    group by commit_files.repository, commit_files.commit_sha

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
        commits.is_bot,
        commits.is_revert,
        commits.reverted_commit_sha,
        default_branch_commits.commit_sha is not null as is_on_default_branch,
        default_branch_commits.mainline_sha,
        default_branch_commits.mainline_depth,
        coalesce(changes_per_commit.files_changed, 0) as files_changed,
        coalesce(changes_per_commit.binary_files_changed, 0) as binary_files_changed,
        coalesce(changes_per_commit.lines_added, 0) as lines_added,
        coalesce(changes_per_commit.lines_deleted, 0) as lines_deleted,
        coalesce(
            {{ is_implausible_date('commits.authored_at', clone_read_at) }}
            or {{ is_implausible_date('commits.committed_at', clone_read_at) }},
            false
        ) as has_implausible_date

    from commits
    left join changes_per_commit
        on
            commits.repository = changes_per_commit.repository
            and commits.commit_sha = changes_per_commit.commit_sha
    left join default_branch_commits
        on
            commits.repository = default_branch_commits.repository
            and commits.commit_sha = default_branch_commits.commit_sha
    left join repositories
        on commits.repository = repositories.repository

)

select * from final
