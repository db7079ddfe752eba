with

raw_branches as (

    select * from {{ source('raw_git', 'branches') }}

),

renamed as (

    select
        repository,
        branch_name,
        commit_sha,
        coalesce(is_default, false) as is_default

    from raw_branches

)

select * from renamed
