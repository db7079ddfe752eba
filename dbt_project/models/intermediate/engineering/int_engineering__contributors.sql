{#-
    One row per contributor (a person or a bot) of int_engineering__contributor_identities: the
    name and email they commit with most, their GitHub login, and their commits over every
    loaded repository.
-#}
with

identities as (

    select * from {{ ref('int_engineering__contributor_identities') }}

),

git_commits as (

    select * from {{ ref('stg_git__commits') }}

),

email_identities as (

    select * from identities
    where identity_type = 'git_email'

),

login_identities as (

    select * from identities
    where identity_type = 'github_login'

),

ranked_emails as (

    select
        contributor_id,
        identity_value as email,
        display_name,
        row_number() over (
            partition by contributor_id
            order by commit_count desc, last_authored_at desc nulls last, identity_value asc
        ) as email_rank
    from email_identities

),

identity_counts as (

    select
        contributor_id,
        bool_or(is_bot) as is_bot,
        sum(case when identity_type = 'git_email' then 1 else 0 end) as email_count,
        sum(case when identity_type = 'github_login' then 1 else 0 end) as github_login_count
    from identities
    group by contributor_id

),

contributor_commits as (

    select
        email_identities.contributor_id,
        min(git_commits.authored_at) as first_commit_at,
        max(git_commits.authored_at) as last_commit_at,
        sum(case when git_commits.is_merge then 0 else 1 end) as commit_count,
        sum(case when git_commits.is_merge then 1 else 0 end) as merge_commit_count,
        count(distinct git_commits.repository) as repository_count
    from git_commits
    inner join email_identities
        on git_commits.author_email = email_identities.identity_value
    group by email_identities.contributor_id

),

final as (

    select
        identity_counts.contributor_id,
        coalesce(
            primary_emails.display_name,
            login_identities.display_name,
            identity_counts.contributor_id
        ) as contributor_name,
        primary_emails.email as primary_email,
        login_identities.display_name as github_login,
        identity_counts.is_bot,
        identity_counts.email_count,
        identity_counts.github_login_count,
        contributor_commits.first_commit_at,
        contributor_commits.last_commit_at,
        coalesce(contributor_commits.commit_count, 0) as commit_count,
        coalesce(contributor_commits.merge_commit_count, 0) as merge_commit_count,
        coalesce(contributor_commits.repository_count, 0) as repository_count
    from identity_counts
    left join ranked_emails as primary_emails
        on
            identity_counts.contributor_id = primary_emails.contributor_id
            and primary_emails.email_rank = 1
    left join login_identities
        on identity_counts.contributor_id = login_identities.contributor_id
    left join contributor_commits
        on identity_counts.contributor_id = contributor_commits.contributor_id

)

select * from final
