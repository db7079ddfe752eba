with

raw_tags as (

    select * from {{ source('raw_git', 'tags') }}

),

renamed as (

    select
        repository,
        tag_name,
        commit_sha,
        tag_object_sha,
        coalesce(is_annotated, false) as is_annotated,
        tagger_name,
        lower(tagger_email) as tagger_email,
        tagged_at at time zone 'UTC' as tagged_at,
        tag_subject

    from raw_tags

)

select * from renamed
