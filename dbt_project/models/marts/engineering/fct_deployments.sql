with

deployments as (

    select * from {{ ref('int_engineering__deployments') }}

),

deployment_commits as (

    select * from {{ ref('int_engineering__deployment_commits') }}

),

incidents as (

    select * from {{ ref('int_engineering__incidents') }}

),

shipped_changes as (

    select
        repository,
        deployment_id,
        count(*) as commit_count,
        sum(case when is_merge then 0 else 1 end) as change_count,
        percentile_cont(0.5) within group (order by lead_time_hours) as median_lead_time_hours
    from deployment_commits
    group by repository, deployment_id

),

caused_incidents as (

    select
        repository,
        caused_by_deployment_id as deployment_id,
        count(*) as incident_count,
        count(resolved_at) as resolved_incident_count,
        max(resolved_at) as last_resolved_at
    from incidents
    where caused_by_deployment_id is not null
    group by repository, caused_by_deployment_id

),

final as (

    select
        cast(deployments.repository as text) as repository,
        cast(deployments.deployment_id as text) as deployment_id,
        cast(deployments.deployment_source as text) as deployment_source,
        cast(deployments."name" as text) as "name",
        cast(deployments.commit_sha as text) as commit_sha,
        cast(deployments.mainline_depth as bigint) as mainline_depth,
        cast(deployments.deployed_at as timestamp) as deployed_at,
        cast(deployments.deployed_at as date) as deployed_date,
        deployments.is_hotfix,
        cast(coalesce(shipped_changes.commit_count, 0) as integer) as commit_count,
        cast(coalesce(shipped_changes.change_count, 0) as integer) as change_count,
        {{ round_double('cast(shipped_changes.median_lead_time_hours as double precision)') }}
            as median_lead_time_hours,
        cast(coalesce(caused_incidents.incident_count, 0) as integer) as incident_count,
        coalesce(caused_incidents.incident_count, 0) > 0 as has_incident,
        coalesce(caused_incidents.incident_count, 0) > 0 as is_failure,
        cast(
            case
                when caused_incidents.resolved_incident_count = caused_incidents.incident_count
                    then caused_incidents.last_resolved_at
            end as timestamp
        ) as recovered_at

    from deployments
    left join shipped_changes
        on
            deployments.repository = shipped_changes.repository
            and deployments.deployment_id = shipped_changes.deployment_id
    left join caused_incidents
        on
            deployments.repository = caused_incidents.repository
            and deployments.deployment_id = caused_incidents.deployment_id

)

select * from final
