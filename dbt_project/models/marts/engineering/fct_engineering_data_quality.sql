{#-
    One row per repository and check: whether each engineering mart has rows for the
    repository and, when not, a sentence saying why.
-#}
{%- set environments = var('deployment_environments') | join(', ') -%}
{%- set labels = var('incident_labels') | join(', ') -%}
{%- set no_deployments = "no deployments: no GitHub production deployments in ["
    ~ environments ~ "], no tag matches '" ~ var('release_tag_pattern') ~ "' or '"
    ~ var('hotfix_tag_pattern') ~ "', no successful workflow run on the default branch matches '"
    ~ var('deployment_workflow_pattern') ~ "'" -%}

with

repositories as (

    select * from {{ ref('int_engineering__repositories') }}

),

commit_changes as (

    select * from {{ ref('int_engineering__commit_changes') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

repository_counts as (

    select
        repositories.repository,
        repositories.has_git_data,
        repositories.has_github_data,
        (
            select count(*) from commit_changes
            where commit_changes.repository = repositories.repository
        ) as commit_count,
        (
            select count(*) from deployments
            where deployments.repository = repositories.repository
        ) as deployment_count,
        (
            select count(*) from deployments
            where
                deployments.repository = repositories.repository
                and deployments.mainline_depth is not null
        ) as default_branch_deployment_count,
        (
            select coalesce(sum(deployments.change_count), 0) from deployments
            where deployments.repository = repositories.repository
        ) as change_count,
        (
            select count(*) from incidents
            where incidents.repository = repositories.repository
        ) as incident_count,
        (
            select count(*) from incidents
            where
                incidents.repository = repositories.repository
                and incidents.is_resolved
        ) as resolved_incident_count,
        (
            select count(*) from pull_requests
            where pull_requests.repository = repositories.repository
        ) as pull_request_count
    from repositories

),

checks as (

    select
        repository,
        'commits' as check_name,
        commit_count as row_count,
        case
            when commit_count = 0
                then 'no commits: no git clone of this repository is loaded by the git source'
        end as reason
    from repository_counts

    union all

    select
        repository,
        'deployments' as check_name,
        deployment_count as row_count,
        case
            when deployment_count = 0 then '{{ no_deployments | replace("'", "''") }}'
        end as reason
    from repository_counts

    union all

    select
        repository,
        'lead_time' as check_name,
        change_count as row_count,
        case
            when change_count > 0 then null
            when deployment_count = 0 then 'no lead times: no deployments'
            when default_branch_deployment_count = 0
                then
                    'no lead times: no deployed commit is on the default branch of a loaded '
                    || 'git clone'
            else 'no lead times: the deployments shipped no non-merge commits'
        end as reason
    from repository_counts

    union all

    select
        repository,
        'incidents' as check_name,
        incident_count as row_count,
        case
            when incident_count > 0 then null
            when has_github_data
                then 'no incidents: no GitHub issue is labelled [{{ labels }}]'
            when
                deployment_count = 0
                then 'no incidents: no GitHub issues loaded and no deployments'
            else
                'no incidents: no GitHub issues loaded, no revert of a deployed commit and no '
                || 'hotfix tag'
        end as reason
    from repository_counts

    union all

    select
        repository,
        'recovery_time' as check_name,
        resolved_incident_count as row_count,
        case
            when resolved_incident_count > 0 then null
            when incident_count = 0 then 'no recovery times: no incidents'
            else 'no recovery times: no incident is resolved'
        end as reason
    from repository_counts

    union all

    select
        repository,
        'pull_requests' as check_name,
        pull_request_count as row_count,
        case
            when pull_request_count > 0 then null
            when not has_github_data
                then
                    'no pull requests: no GitHub data loaded for this repository (list it in '
                    || 'sources.github.repositories)'
            else 'no pull requests: GitHub has none for this repository'
        end as reason
    from repository_counts

),

final as (

    select
        cast(repository as text) as repository,
        cast(check_name as text) as check_name,
        cast(case when row_count > 0 then 'ok' else 'empty' end as text) as status,
        cast(row_count as bigint) as row_count,
        cast(reason as text) as reason

    from checks

)

select * from final
