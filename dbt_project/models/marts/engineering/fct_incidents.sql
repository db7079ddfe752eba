with

incidents as (

    select * from {{ ref('int_engineering__incidents') }}

),

deployments as (

    select * from {{ ref('int_engineering__deployments') }}

),

final as (

    select
        cast(incidents.repository as text) as repository,
        cast(incidents.incident_id as text) as incident_id,
        cast(incidents.incident_source as text) as incident_source,
        cast(incidents.title as text) as title,
        cast(incidents.started_at as timestamp) as started_at,
        cast(incidents.started_at as date) as started_date,
        cast(incidents.resolved_at as timestamp) as resolved_at,
        incidents.resolved_at is not null as is_resolved,
        {{ round_double(hours_between('incidents.started_at', 'incidents.resolved_at')) }}
            as recovery_time_hours,
        cast(incidents.caused_by_deployment_id as text) as caused_by_deployment_id,
        cast(caused_by.deployed_at as timestamp) as caused_by_deployed_at,
        cast(incidents.resolved_by_deployment_id as text) as resolved_by_deployment_id

    from incidents
    left join deployments as caused_by
        on
            incidents.repository = caused_by.repository
            and incidents.caused_by_deployment_id = caused_by.deployment_id

)

select * from final
