{#-
    One row per GitHub pull request with the moments of its lifecycle: first commit, opened,
    first review by someone else (bots excluded), merged, closed. `repository` is the
    repository key of int_engineering__repositories.
-#}
with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

pull_request_commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

pull_request_reviews as (

    select * from {{ ref('stg_github__pull_request_reviews') }}

),

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

default_branch_commits as (

    select * from {{ ref('stg_git__default_branch_commits') }}

),

git_commits as (

    select * from {{ ref('stg_git__commits') }}

),

identities as (

    select * from {{ ref('int_engineering__contributor_identities') }}

),

first_pull_request_commits as (

    select
        repository,
        pull_request_number,
        min(authored_at) as first_commit_at,
        count(*) as commit_count
    from pull_request_commits
    group by repository, pull_request_number

),

-- Reviews by someone other than the author, bots excluded; pending reviews have no time.
first_reviews as (

    select
        pull_request_reviews.repository,
        pull_request_reviews.pull_request_number,
        min(pull_request_reviews.submitted_at) as first_review_at,
        count(*) as review_count
    from pull_request_reviews
    inner join pull_requests
        on
            pull_request_reviews.repository = pull_requests.repository
            and pull_request_reviews.pull_request_number = pull_requests.pull_request_number
    where
        not pull_request_reviews.is_reviewer_bot
        and pull_request_reviews.submitted_at is not null
        and lower(pull_request_reviews.reviewer_login)
        is distinct from lower(pull_requests.author_login)
    group by pull_request_reviews.repository, pull_request_reviews.pull_request_number

),

-- What git knows of a merged pull request: the commits its merge commit brought onto the
-- default branch (the merge commit itself and, for a merge, the merged branch).
merged_git_commits as (

    select
        default_branch_commits.repository,
        default_branch_commits.mainline_sha,
        min(git_commits.authored_at) as first_commit_at
    from default_branch_commits
    inner join git_commits
        on
            default_branch_commits.repository = git_commits.repository
            and default_branch_commits.commit_sha = git_commits.commit_sha
    group by default_branch_commits.repository, default_branch_commits.mainline_sha

),

final as (

    select
        pull_requests.pull_request_id,
        repositories.repository,
        pull_requests.repository as github_full_name,
        pull_requests.pull_request_number,
        pull_requests.title,
        pull_requests.state,
        pull_requests.is_draft,
        pull_requests.author_login,
        author_identities.contributor_id as author_contributor_id,
        pull_requests.is_author_bot as is_bot_author,
        pull_requests.base_branch,
        pull_requests.head_branch,
        pull_requests.html_url,
        -- Before the merge GitHub's merge_commit_sha is a test merge, not a commit of the repo.
        case
            when pull_requests.merged_at is not null then pull_requests.merge_commit_sha
        end as merge_commit_sha,
        coalesce(
            first_pull_request_commits.first_commit_at, merged_git_commits.first_commit_at
        ) as first_commit_at,
        pull_requests.created_at as opened_at,
        first_reviews.first_review_at,
        pull_requests.merged_at,
        pull_requests.closed_at,
        pull_requests.merged_at is not null as is_merged,
        coalesce(first_pull_request_commits.commit_count, 0) as commit_count,
        coalesce(first_reviews.review_count, 0) as review_count
    from pull_requests
    inner join repositories
        on lower(pull_requests.repository) = lower(repositories.github_full_name)
    left join first_pull_request_commits
        on
            pull_requests.repository = first_pull_request_commits.repository
            and pull_requests.pull_request_number = first_pull_request_commits.pull_request_number
    left join first_reviews
        on
            pull_requests.repository = first_reviews.repository
            and pull_requests.pull_request_number = first_reviews.pull_request_number
    left join merged_git_commits
        on
            repositories.git_repository = merged_git_commits.repository
            and pull_requests.merge_commit_sha = merged_git_commits.mainline_sha
            and pull_requests.merged_at is not null
    left join identities as author_identities
        on
            lower(pull_requests.author_login) = author_identities.identity_value
            and author_identities.identity_type = 'github_login'

)

select * from final
