with

raw_deployment_statuses as (

    select * from {{ optional_source('raw_github', 'deployment_statuses') }}

),

renamed as (

    select
        repository,
        id as deployment_status_id,
        deployment_id,
        state,
        environment,
        created_at at time zone 'UTC' as created_at

    from raw_deployment_statuses

)

select * from renamed
