with

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

identities as (

    select * from {{ ref('int_engineering__contributor_identities') }}

),

contributors as (

    select * from {{ ref('int_engineering__contributors') }}

),

pull_requests as (

    select * from {{ ref('int_engineering__pull_requests') }}

),

commit_authors as (

    select
        commit_changes.*,
        identities.contributor_id,
        commit_changes.is_bot or coalesce(contributors.is_bot, false) as is_bot_author
    from commit_changes
    left join identities
        on
            commit_changes.author_email = identities.identity_value
            and identities.identity_type = 'git_email'
    left join contributors
        on identities.contributor_id = contributors.contributor_id

),

repository_history as (

    select
        repository,
        min(committed_at) as first_commit_at,
        max(committed_at) as last_commit_at,
        sum(case when is_merge then 0 else 1 end) as commit_count,
        sum(case when is_merge then 1 else 0 end) as merge_commit_count,
        sum(case when is_revert then 1 else 0 end) as revert_commit_count,
        sum(case when is_bot_author then 1 else 0 end) as bot_commit_count,
        count(distinct author_email) as author_count,
        count(distinct case when not is_bot_author then contributor_id end) as contributor_count

    from commit_authors
    group by repository

),

repository_pull_requests as (

    select
        repository,
        count(*) as pull_request_count,
        sum(case when is_merged then 1 else 0 end) as merged_pull_request_count

    from pull_requests
    group by repository

),

final as (

    select
        cast(repositories.repository as text) as repository,
        cast(repositories.git_repository as text) as git_repository,
        cast(repositories.github_full_name as text) as github_full_name,
        cast(repositories.default_branch as text) as default_branch,
        cast(repositories.remote_url as text) as remote_url,
        cast(repositories.has_git_data as boolean) as has_git_data,
        cast(repositories.has_github_data as boolean) as has_github_data,
        repository_history.first_commit_at,
        repository_history.last_commit_at,
        cast(coalesce(repository_history.commit_count, 0) as integer) as commit_count,
        cast(coalesce(repository_history.merge_commit_count, 0) as integer) as merge_commit_count,
        cast(coalesce(repository_history.revert_commit_count, 0) as integer)
            as revert_commit_count,
        cast(coalesce(repository_history.bot_commit_count, 0) as integer) as bot_commit_count,
        cast(coalesce(repository_history.author_count, 0) as integer) as author_count,
        cast(coalesce(repository_history.contributor_count, 0) as integer) as contributor_count,
        cast(coalesce(repository_pull_requests.pull_request_count, 0) as integer)
            as pull_request_count,
        cast(coalesce(repository_pull_requests.merged_pull_request_count, 0) as integer)
            as merged_pull_request_count

    from repositories
    left join repository_history
        on repositories.repository = repository_history.repository
    left join repository_pull_requests
        on repositories.repository = repository_pull_requests.repository

)

select * from final
