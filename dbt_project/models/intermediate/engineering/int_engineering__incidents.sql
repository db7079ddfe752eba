{#-
    Incidents: GitHub issues with an incident label; for repositories without GitHub issues,
    reverts of shipped commits and hotfix tags. Each is linked to the deployment that caused it.
-#}
{%- set incident_labels = var('incident_labels') -%}

with

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

issues as (

    select * from {{ ref('stg_github__issues') }}

),

issue_labels as (

    select * from {{ ref('stg_github__issue_labels') }}

),

commits as (

    select * from {{ ref('stg_git__commits') }}

),

default_branch_commits as (

    select * from {{ ref('stg_git__default_branch_commits') }}

),

deployments as (

    select * from {{ ref('int_engineering__deployments') }}

),

deployment_commits as (

    select * from {{ ref('int_engineering__deployment_commits') }}

),

repository_issues as (

    select
        repositories.repository,
        issues.issue_id,
        issues.issue_number,
        issues.title,
        issues.is_pull_request,
        issues.created_at,
        issues.closed_at
    from issues
    inner join repositories
        on lower(issues.repository) = lower(repositories.github_full_name)

),

-- Repositories with GitHub data (issues are loaded with it) take incidents from issues only.
issue_tracked_repositories as (

    select repository from repositories
    where has_github_data

),

incident_issues as (

    select
        repository_issues.repository,
        cast(repository_issues.issue_number as text) as incident_id,
        'github_issue' as incident_source,
        repository_issues.title,
        repository_issues.created_at as started_at,
        repository_issues.closed_at as resolved_at,
        cast(null as text) as caused_by_deployment_id,
        cast(null as text) as resolved_by_deployment_id
    from repository_issues
    where
        not repository_issues.is_pull_request
        and exists (
            select 1
            from issue_labels
            where
                issue_labels.issue_id = repository_issues.issue_id
                and issue_labels.label_name in (
                    {%- for label in incident_labels %}
                        '{{ label | lower }}'{% if not loop.last %},{% endif %}
                    {%- endfor %}
                )
        )

),

issue_causes as (

    -- The last deployment of the repository at or before the issue was opened.
    select
        incident_issues.repository,
        incident_issues.incident_id,
        deployments.deployment_id,
        row_number() over (
            partition by incident_issues.repository, incident_issues.incident_id
            order by deployments.deployed_at desc, deployments.deployment_id desc
        ) as recency
    from incident_issues
    inner join deployments
        on
            incident_issues.repository = deployments.repository
            and incident_issues.started_at >= deployments.deployed_at

),

reverts as (

    -- A revert on the default branch of a commit a deployment shipped: that deployment failed,
    -- and the deployment that shipped the revert restored service.
    select
        commits.repository,
        commits.commit_sha as incident_id,
        'revert' as incident_source,
        commits.subject as title,
        failed.deployed_at as started_at,
        restoring.deployed_at as resolved_at,
        failed.deployment_id as caused_by_deployment_id,
        restoring.deployment_id as resolved_by_deployment_id
    from commits
    inner join default_branch_commits
        on
            commits.repository = default_branch_commits.repository
            and commits.commit_sha = default_branch_commits.commit_sha
    inner join deployment_commits as failed
        on
            commits.repository = failed.repository
            and commits.reverted_commit_sha = failed.commit_sha
    left join deployment_commits as restoring
        on
            commits.repository = restoring.repository
            and commits.commit_sha = restoring.commit_sha
    where
        commits.is_revert
        and commits.repository not in (
            select issue_tracked_repositories.repository from issue_tracked_repositories
        )

),

ordered_deployments as (

    select
        repository,
        deployment_id,
        deployed_at,
        is_hotfix,
        lag(deployment_id) over (
            partition by repository order by deployed_at, deployment_id
        ) as previous_deployment_id,
        lag(deployed_at) over (
            partition by repository order by deployed_at, deployment_id
        ) as previous_deployed_at
    from deployments

),

hotfixes as (

    -- A hotfix tag: the deployment before it failed; the hotfix restored service.
    select
        repository,
        deployment_id as incident_id,
        'hotfix_tag' as incident_source,
        deployment_id as title,
        previous_deployed_at as started_at,
        deployed_at as resolved_at,
        previous_deployment_id as caused_by_deployment_id,
        deployment_id as resolved_by_deployment_id
    from ordered_deployments
    where
        is_hotfix
        and previous_deployment_id is not null
        and repository not in (
            select issue_tracked_repositories.repository from issue_tracked_repositories
        )

),

final as (

    select
        incident_issues.repository,
        incident_issues.incident_id,
        incident_issues.incident_source,
        incident_issues.title,
        incident_issues.started_at,
        incident_issues.resolved_at,
        issue_causes.deployment_id as caused_by_deployment_id,
        incident_issues.resolved_by_deployment_id
    from incident_issues
    left join issue_causes
        on
            incident_issues.repository = issue_causes.repository
            and incident_issues.incident_id = issue_causes.incident_id
            and issue_causes.recency = 1

    union all

    select * from reverts

    union all

    select * from hotfixes

)

select * from final
