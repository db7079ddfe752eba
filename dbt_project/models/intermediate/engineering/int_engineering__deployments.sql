{#-
    One row per successful production deployment, from the best source each repository has:
    GitHub deployments, else release and hotfix tags, else deployment workflow runs.
-#}
{%- set environments = var('deployment_environments') -%}
{%- set release_tag_pattern = "'" ~ var('release_tag_pattern') ~ "'" -%}
{%- set hotfix_tag_pattern = "'" ~ var('hotfix_tag_pattern') ~ "'" -%}
{%- set workflow_pattern = "'" ~ var('deployment_workflow_pattern') ~ "'" -%}

with

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

github_deployments as (

    select * from {{ ref('stg_github__deployments') }}

),

github_deployment_statuses as (

    select * from {{ ref('stg_github__deployment_statuses') }}

),

tags as (

    select * from {{ ref('stg_git__tags') }}

),

commits as (

    select * from {{ ref('stg_git__commits') }}

),

workflow_runs as (

    select * from {{ ref('stg_github__workflow_runs') }}

),

default_branch_commits as (

    select * from {{ ref('stg_git__default_branch_commits') }}

),

-- GitHub data is keyed by full name ("owner/repo"); the repository key may be a clone's name.
github_repositories as (

    select
        repository,
        github_full_name,
        default_branch
    from repositories
    where github_full_name is not null

),

first_successes as (

    select
        deployment_id,
        min(created_at) as succeeded_at
    from github_deployment_statuses
    where state = 'success'
    group by deployment_id

),

from_github_deployments as (

    select
        github_repositories.repository,
        cast(github_deployments.deployment_id as text) as deployment_id,
        'github_deployment' as deployment_source,
        github_deployments.commit_sha,
        first_successes.succeeded_at as deployed_at,
        github_deployments."ref" as "name",
        false as is_hotfix
    from github_deployments
    inner join github_repositories
        on lower(github_deployments.repository) = lower(github_repositories.github_full_name)
    inner join first_successes
        on github_deployments.deployment_id = first_successes.deployment_id
    where
        github_deployments.is_production_environment
        {%- if environments | length > 0 %}
            or github_deployments.environment in (
                {%- for environment in environments %}
                    '{{ environment }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            )
        {%- endif %}

),

from_tags as (

    select
        tags.repository,
        tags.tag_name as deployment_id,
        'release_tag' as deployment_source,
        tags.commit_sha,
        coalesce(tags.tagged_at, commits.committed_at) as deployed_at,
        tags.tag_name as "name",
        coalesce({{ regex_matches('lower(tags.tag_name)', hotfix_tag_pattern) }}, false)
            as is_hotfix
    from tags
    left join commits
        on
            tags.repository = commits.repository
            and tags.commit_sha = commits.commit_sha
    where
        {{ regex_matches('tags.tag_name', release_tag_pattern) }}
        or {{ regex_matches('lower(tags.tag_name)', hotfix_tag_pattern) }}

),

from_workflow_runs as (

    select
        github_repositories.repository,
        cast(workflow_runs.workflow_run_id as text) as deployment_id,
        'workflow_run' as deployment_source,
        workflow_runs.head_sha as commit_sha,
        -- A run has no completion time; its last update is when it concluded.
        workflow_runs.updated_at as deployed_at,
        workflow_runs.workflow_name
        || ' #'
        || cast(workflow_runs.run_number as text) as "name",
        false as is_hotfix
    from workflow_runs
    inner join github_repositories
        on lower(workflow_runs.repository) = lower(github_repositories.github_full_name)
    where
        workflow_runs.conclusion = 'success'
        -- Without a clone, the branch most pull requests merge into; else GitHub's `main`.
        and workflow_runs.head_branch = coalesce(github_repositories.default_branch, 'main')
        and (
            {{ regex_matches('lower(workflow_runs.workflow_name)', workflow_pattern) }}
            or {{ regex_matches('lower(workflow_runs.workflow_path)', workflow_pattern) }}
        )

),

candidates as (

    select
        *,
        1 as source_preference
    from from_github_deployments
    union all
    select
        *,
        2 as source_preference
    from from_tags
    union all
    select
        *,
        3 as source_preference
    from from_workflow_runs

),

preferred_sources as (

    select
        repository,
        min(source_preference) as source_preference
    from candidates
    where deployed_at is not null
    group by repository

),

final as (

    select
        candidates.repository,
        candidates.deployment_id,
        candidates.deployment_source,
        candidates.commit_sha,
        candidates.deployed_at,
        default_branch_commits.mainline_depth,
        candidates."name",
        candidates.is_hotfix
    from candidates
    inner join preferred_sources
        on
            candidates.repository = preferred_sources.repository
            and candidates.source_preference = preferred_sources.source_preference
    left join default_branch_commits
        on
            candidates.repository = default_branch_commits.repository
            and candidates.commit_sha = default_branch_commits.commit_sha
    where candidates.deployed_at is not null

)

select * from final
