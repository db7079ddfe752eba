with

raw_pull_request_commits as (

    select * from {{ optional_source('raw_github', 'pull_request_commits') }}

),

renamed as (

    select
        repository,
        pull_request_number,
        sha as commit_sha,
        author__login as author_login,
        commit__author__name as author_name,
        lower(commit__author__email) as author_email,
        commit__author__date at time zone 'UTC' as authored_at,
        commit__committer__date at time zone 'UTC' as committed_at

    from raw_pull_request_commits

)

select * from renamed
