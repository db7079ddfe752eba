with

deployment_commits as (

    select * from {{ optional_source('commit_graph', 'deployment_commits') }}

),

renamed as (

    select
        repository,
        deployment_id,
        commit_sha

    from deployment_commits

)

select * from renamed
