{#-
    The commits each deployment newly shipped, from the commit-graph walk (the commits of
    `git rev-list <deployed commit> --not <every earlier deployment's commit>`), with the times
    that make a change's lead time. A commit with an implausible date (a wrong clock, see
    int_engineering__commit_changes) ships but has no lead time.
-#}
with

deployments as (

    select * from {{ ref('int_engineering__deployments') }}

),

shipped as (

    select * from {{ ref('stg_commit_graph__deployment_commits') }}

),

commits as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

pull_request_commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

merged_pull_requests as (

    select
        repositories.repository,
        pull_requests.pull_request_number,
        pull_requests.merge_commit_sha
    from pull_requests
    inner join repositories
        on lower(pull_requests.repository) = lower(repositories.github_full_name)
    where pull_requests.merged_at is not null and pull_requests.merge_commit_sha is not null

),

pull_request_commit_times as (

    select
        repositories.repository,
        pull_request_commits.pull_request_number,
        pull_request_commits.authored_at
    from pull_request_commits
    inner join repositories
        on lower(pull_request_commits.repository) = lower(repositories.github_full_name)

),

squash_candidates as (

    -- The merge commit of a PR, with the earliest authoring time of the PR's commits (one
    -- before git existed is a wrong clock: left out) and whether the merge commit's own
    -- authoring time is one of theirs (a rebase merge keeps the author dates of the commits
    -- it replays; a squash gets a new one).
    select
        merged_pull_requests.repository,
        merged_pull_requests.merge_commit_sha,
        min(
            case
                when
                    pull_request_commit_times.authored_at
                    >= cast('{{ plausible_since() }}' as timestamp)
                    then pull_request_commit_times.authored_at
            end
        ) as first_authored_at,
        max(
            case when pull_request_commit_times.authored_at = commits.authored_at then 1 else 0 end
        ) as matches_a_pull_request_commit
    from merged_pull_requests
    inner join commits
        on
            merged_pull_requests.repository = commits.repository
            and merged_pull_requests.merge_commit_sha = commits.commit_sha
    inner join pull_request_commit_times
        on
            merged_pull_requests.repository = pull_request_commit_times.repository
            and merged_pull_requests.pull_request_number
            = pull_request_commit_times.pull_request_number
    where commits.parent_count = 1
    group by merged_pull_requests.repository, merged_pull_requests.merge_commit_sha

),

shipped_commits as (

    select
        shipped.repository,
        shipped.deployment_id,
        deployments.deployed_at,
        shipped.commit_sha,
        coalesce(commits.is_merge, false) as is_merge,
        commits.authored_at,
        commits.committed_at,
        coalesce(commits.has_implausible_date, false) as has_implausible_date,
        squash_candidates.merge_commit_sha is not null as is_squash_merge,
        coalesce(squash_candidates.first_authored_at, commits.authored_at) as change_started_at
    from shipped
    -- A walk older than the deployments (dbt run on its own) drops what no longer exists.
    inner join deployments
        on
            shipped.repository = deployments.repository
            and shipped.deployment_id = deployments.deployment_id
    left join commits
        on
            shipped.repository = commits.repository
            and shipped.commit_sha = commits.commit_sha
    left join squash_candidates
        on
            shipped.repository = squash_candidates.repository
            and shipped.commit_sha = squash_candidates.merge_commit_sha
            and squash_candidates.matches_a_pull_request_commit = 0

),

final as (

    select
        *,
        -- A change authored after the deployment that shipped it: the author's clock was ahead
        -- (clock skew). Listed by fct_engineering_data_quality, left out of lead times. A date
        -- beyond plausibility is listed as such, not as clock skew.
        coalesce(
            not is_merge and not has_implausible_date and change_started_at > deployed_at, false
        ) as is_authored_after_deployment,
        -- Lead time of a change; merge commits are not changes, a wrong clock measures nothing.
        case
            when not is_merge and not has_implausible_date and change_started_at <= deployed_at
                then {{ hours_between('change_started_at', 'deployed_at') }}
        end as lead_time_hours
    from shipped_commits

)

select * from final
