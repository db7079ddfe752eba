with

raw_default_branch_commits as (

    select * from {{ source('raw_git', 'default_branch_commits') }}

),

renamed as (

    select
        repository,
        commit_sha,
        mainline_sha,
        mainline_depth

    from raw_default_branch_commits

)

select * from renamed
