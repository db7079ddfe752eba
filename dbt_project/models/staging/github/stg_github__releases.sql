with

raw_releases as (

    select * from {{ optional_source('raw_github', 'releases') }}

),

renamed as (

    select
        repository,
        id as release_id,
        tag_name,
        "name" as release_name,
        target_commitish,
        coalesce(draft, false) as is_draft,
        coalesce(prerelease, false) as is_prerelease,
        created_at at time zone 'UTC' as created_at,
        published_at at time zone 'UTC' as published_at,
        author__login as author_login

    from raw_releases

)

select * from renamed
