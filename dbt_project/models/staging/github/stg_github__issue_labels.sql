with

raw_issues as (

    select * from {{ optional_source('raw_github', 'issues') }}

),

label_rows as (

    select
        id as issue_id,
        unnest(string_to_array(label_names, chr(10))) as label_name

    from raw_issues
    where label_names is not null

),

renamed as (

    select distinct
        issue_id,
        lower(label_name) as label_name

    from label_rows
    where label_name <> ''

)

select * from renamed
