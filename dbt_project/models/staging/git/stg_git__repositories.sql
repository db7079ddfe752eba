with

raw_repositories as (

    select * from {{ source('raw_git', 'repositories') }}

),

renamed as (

    select
        repository,
        "path" as repository_path,
        default_branch,
        head_sha,
        remote_url,
        github_full_name,
        read_at at time zone 'UTC' as read_at

    from raw_repositories

)

select * from renamed
