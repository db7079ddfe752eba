with

raw_deployments as (

    select * from {{ optional_source('raw_github', 'deployments') }}

),

renamed as (

    select
        repository,
        id as deployment_id,
        sha as commit_sha,
        "ref",
        "task",
        environment,
        coalesce(production_environment, false) as is_production_environment,
        created_at at time zone 'UTC' as created_at,
        updated_at at time zone 'UTC' as updated_at,
        creator__login as creator_login

    from raw_deployments

)

select * from renamed
