{#-
    The default-branch commits each deployment newly shipped: mainline depth above the highest
    depth any earlier deployment of the repository reached, up to the deployment's own depth.
-#}
with

deployments as (

    select * from {{ ref('int_engineering__deployments') }}

),

default_branch_commits as (

    select * from {{ ref('stg_git__default_branch_commits') }}

),

commits as (

    select * from {{ ref('stg_git__commits') }}

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

deployment_ranges as (

    -- A deployment of an older (or the same) sha than one before it ships nothing: its range
    -- is empty because the running maximum is already at or above its depth.
    select
        repository,
        deployment_id,
        deployed_at,
        mainline_depth,
        coalesce(
            max(mainline_depth) over (
                partition by repository
                order by deployed_at, deployment_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as previous_max_depth
    from deployments
    where mainline_depth is not null

),

shipped as (

    select
        deployment_ranges.repository,
        deployment_ranges.deployment_id,
        deployment_ranges.deployed_at,
        default_branch_commits.commit_sha,
        default_branch_commits.mainline_sha,
        default_branch_commits.mainline_depth
    from deployment_ranges
    inner join default_branch_commits
        on
            deployment_ranges.repository = default_branch_commits.repository
            and deployment_ranges.previous_max_depth < default_branch_commits.mainline_depth
            and deployment_ranges.mainline_depth >= default_branch_commits.mainline_depth

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

    -- The merge commit of a PR, with the earliest authoring time of the PR's commits and
    -- whether the merge commit's own authoring time is one of theirs (a rebase merge keeps
    -- the author dates of the commits it replays; a squash gets a new one).
    select
        merged_pull_requests.repository,
        merged_pull_requests.merge_commit_sha,
        min(pull_request_commit_times.authored_at) as first_authored_at,
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
        shipped.deployed_at,
        shipped.commit_sha,
        shipped.mainline_sha,
        shipped.mainline_depth,
        coalesce(commits.is_merge, false) as is_merge,
        commits.authored_at,
        commits.committed_at,
        squash_candidates.merge_commit_sha is not null as is_squash_merge,
        case
            when squash_candidates.merge_commit_sha is not null
                then squash_candidates.first_authored_at
            else commits.authored_at
        end as change_started_at
    from shipped
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
        -- Lead time of a change; merge commits are not changes.
        case
            when not is_merge then {{ hours_between('change_started_at', 'deployed_at') }}
        end as lead_time_hours
    from shipped_commits

)

select * from final
