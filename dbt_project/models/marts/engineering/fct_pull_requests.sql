with

pull_requests as (

    select * from {{ ref('int_engineering__pull_requests') }}

),

deployment_commits as (

    select * from {{ ref('int_engineering__deployment_commits') }}

),

final as (

    select
        cast(pull_requests.repository as text) as repository,
        cast(pull_requests.pull_request_number as bigint) as pull_request_number,
        cast(pull_requests.title as text) as title,
        cast(pull_requests.state as text) as state,
        cast(pull_requests.author_login as text) as author_login,
        pull_requests.is_bot_author,
        cast(pull_requests.html_url as text) as html_url,
        cast(pull_requests.merge_commit_sha as text) as merge_commit_sha,
        cast(pull_requests.first_commit_at as timestamp) as first_commit_at,
        cast(pull_requests.opened_at as timestamp) as opened_at,
        cast(pull_requests.first_review_at as timestamp) as first_review_at,
        cast(pull_requests.merged_at as timestamp) as merged_at,
        cast(pull_requests.closed_at as timestamp) as closed_at,
        cast(deployment_commits.deployment_id as text) as deployment_id,
        cast(deployment_commits.deployed_at as timestamp) as deployed_at,
        {{
            round_double(hours_between('pull_requests.first_commit_at', 'pull_requests.opened_at'))
        }} as coding_time_hours,
        {{
            round_double(hours_between('pull_requests.opened_at', 'pull_requests.first_review_at'))
        }} as pickup_time_hours,
        {{
            round_double(hours_between('pull_requests.first_review_at', 'pull_requests.merged_at'))
        }} as review_time_hours,
        {{
            round_double(
                hours_between('pull_requests.merged_at', 'deployment_commits.deployed_at')
            )
        }} as deploy_time_hours,
        {{
            round_double(
                hours_between(
                    'coalesce(pull_requests.first_commit_at, pull_requests.opened_at)',
                    'deployment_commits.deployed_at'
                )
            )
        }} as cycle_time_hours

    from pull_requests
    -- Each commit is shipped once, by the first deployment whose commit reaches it.
    left join deployment_commits
        on
            pull_requests.repository = deployment_commits.repository
            and pull_requests.merge_commit_sha = deployment_commits.commit_sha

)

select * from final
