{#-
    One row per repository and check: whether each engineering mart has rows for the
    repository and, when not, a sentence saying why; and which commits and shipped changes
    look wrong (clock skew, implausible dates).
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

deployment_commits as (

    select * from {{ ref('int_engineering__deployment_commits') }}

),

clock_skewed_changes as (

    -- Changes authored after the deployment that shipped them (the author's clock was
    -- ahead): the first few by time, listed in the check's reason.
    select
        repository,
        commit_sha,
        deployment_id,
        cast(
            round({{ hours_between('deployed_at', 'change_started_at') }} * 3600) as bigint
        ) as seconds_ahead,
        row_number() over (
            partition by repository order by change_started_at, commit_sha
        ) as skew_rank,
        count(*) over (partition by repository) as skewed_change_count
    from deployment_commits
    where is_authored_after_deployment

),

clock_skew_listings as (

    select
        repository,
        max(skewed_change_count) as skewed_change_count,
        string_agg(
            substr(commit_sha, 1, 10) || ' in ' || deployment_id || ' (authored '
            || cast(seconds_ahead as text) || ' s after it)',
            ', ' order by skew_rank
        ) as listed_changes
    from clock_skewed_changes
    where skew_rank <= 5
    group by repository

),

implausibly_dated_commits as (

    -- Commits dated by a wrong clock (before git existed, or after their clone was read):
    -- the first few by commit time, listed in the check's reason.
    select
        repository,
        commit_sha,
        authored_at,
        committed_at,
        row_number() over (
            partition by repository order by committed_at, commit_sha
        ) as implausible_rank,
        count(*) over (partition by repository) as implausible_commit_count
    from commit_changes
    where has_implausible_date

),

implausible_date_listings as (

    select
        repository,
        max(implausible_commit_count) as implausible_commit_count,
        string_agg(
            substr(commit_sha, 1, 10) || ' (authored '
            || cast(cast(authored_at as date) as text) || ', committed '
            || cast(cast(committed_at as date) as text) || ')',
            ', ' order by implausible_rank
        ) as listed_commits
    from implausibly_dated_commits
    where implausible_rank <= 5
    group by repository

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
            select coalesce(sum(deployments.commit_count), 0) from deployments
            where deployments.repository = repositories.repository
        ) as shipped_commit_count,
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
            when shipped_commit_count = 0
                then 'no lead times: no deployed commit is in a loaded git clone'
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

clock_skew_checks as (

    select
        repository_counts.repository,
        'clock_skew' as check_name,
        coalesce(clock_skew_listings.skewed_change_count, 0) as row_count,
        case
            when clock_skew_listings.skewed_change_count > 0
                then
                    cast(clock_skew_listings.skewed_change_count as text)
                    || ' shipped change(s) authored after the deployment that shipped them '
                    || '(the author''s clock was ahead), left out of lead times: '
                    || clock_skew_listings.listed_changes
                    || case
                        when clock_skew_listings.skewed_change_count > 5 then ', ...' else ''
                    end
        end as reason
    from repository_counts
    left join clock_skew_listings
        on repository_counts.repository = clock_skew_listings.repository

),

implausible_date_checks as (

    select
        repository_counts.repository,
        'implausible_dates' as check_name,
        coalesce(implausible_date_listings.implausible_commit_count, 0) as row_count,
        case
            when implausible_date_listings.implausible_commit_count > 0
                then
                    cast(implausible_date_listings.implausible_commit_count as text)
                    || ' commit(s) dated before {{ plausible_since() }} or more than '
                    || '{{ clock_tolerance_hours() }} h after the clone was read (a wrong '
                    || 'clock), kept in fct_commits (has_implausible_date) but left out of the '
                    || 'DORA periods, lead times and daily commits: '
                    || implausible_date_listings.listed_commits
                    || case
                        when implausible_date_listings.implausible_commit_count > 5
                            then ', ...'
                        else ''
                    end
        end as reason
    from repository_counts
    left join implausible_date_listings
        on repository_counts.repository = implausible_date_listings.repository

),

suspect_checks as (

    select * from clock_skew_checks
    union all
    select * from implausible_date_checks

),

final as (

    select
        cast(repository as text) as repository,
        cast(check_name as text) as check_name,
        cast(case when row_count > 0 then 'ok' else 'empty' end as text) as status,
        cast(row_count as bigint) as row_count,
        cast(reason as text) as reason

    from checks

    union all

    select
        cast(repository as text) as repository,
        cast(check_name as text) as check_name,
        cast(case when row_count = 0 then 'ok' else 'warn' end as text) as status,
        cast(row_count as bigint) as row_count,
        cast(reason as text) as reason

    from suspect_checks

)

select * from final
