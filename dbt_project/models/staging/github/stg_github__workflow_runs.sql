with

raw_workflow_runs as (

    select * from {{ optional_source('raw_github', 'workflow_runs') }}

),

renamed as (

    select
        repository,
        id as workflow_run_id,
        "name" as workflow_name,
        display_title,
        "event",
        status,
        conclusion,
        head_branch,
        head_sha,
        run_number,
        run_attempt,
        workflow_id,
        "path" as workflow_path,
        created_at at time zone 'UTC' as created_at,
        updated_at at time zone 'UTC' as updated_at,
        run_started_at at time zone 'UTC' as run_started_at,
        actor__login as actor_login

    from raw_workflow_runs

)

select * from renamed
