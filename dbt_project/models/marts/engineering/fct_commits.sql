with

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

identities as (

    select * from {{ ref('int_engineering__contributor_identities') }}

),

contributors as (

    select * from {{ ref('int_engineering__contributors') }}

),

email_contributors as (

    select
        identities.identity_value as author_email,
        identities.contributor_id,
        contributors.is_bot
    from identities
    inner join contributors
        on identities.contributor_id = contributors.contributor_id
    where identities.identity_type = 'git_email'

),

final as (

    select
        cast(commit_changes.repository as text) as repository,
        cast(commit_changes.commit_sha as text) as commit_sha,
        cast(email_contributors.contributor_id as text) as contributor_id,
        cast(commit_changes.author_name as text) as author_name,
        cast(commit_changes.author_email as text) as author_email,
        cast(
            commit_changes.is_bot or coalesce(email_contributors.is_bot, false) as boolean
        ) as is_bot,
        commit_changes.authored_at,
        commit_changes.committed_at,
        cast(commit_changes.committed_at as date) as committed_date,
        cast(commit_changes.has_implausible_date as boolean) as has_implausible_date,
        commit_changes.is_merge,
        cast(commit_changes.parent_count as integer) as parent_count,
        cast(commit_changes.is_revert as boolean) as is_revert,
        cast(commit_changes.reverted_commit_sha as text) as reverted_commit_sha,
        cast(commit_changes.is_on_default_branch as boolean) as is_on_default_branch,
        cast(commit_changes.mainline_sha as text) as mainline_sha,
        cast(commit_changes.mainline_depth as bigint) as mainline_depth,
        cast(commit_changes.files_changed as integer) as files_changed,
        cast(commit_changes.lines_added as bigint) as lines_added,
        cast(commit_changes.lines_deleted as bigint) as lines_deleted,
        cast(commit_changes.subject as text) as subject

    from commit_changes
    left join email_contributors
        on commit_changes.author_email = email_contributors.author_email

)

select * from final
