{#-
    One row per repository, keyed by the name every engineering model uses: the git repository
    name when a clone is loaded, else the GitHub full name. A clone whose `origin` is on GitHub
    and that GitHub repository's data become one row.
-#}
with

git_repositories as (

    select * from {{ ref('stg_git__repositories') }}

),

git_commits as (

    select * from {{ ref('stg_git__commits') }}

),

github_pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

github_issues as (

    select * from {{ ref('stg_github__issues') }}

),

github_releases as (

    select * from {{ ref('stg_github__releases') }}

),

github_deployments as (

    select * from {{ ref('stg_github__deployments') }}

),

github_workflow_runs as (

    select * from {{ ref('stg_github__workflow_runs') }}

),

-- A clone loaded before `repositories` existed still has commits.
clones as (

    select
        repository,
        repository_path,
        default_branch,
        head_sha,
        remote_url,
        github_full_name
    from git_repositories

    union all

    select distinct
        repository,
        cast(null as text) as repository_path,
        cast(null as text) as default_branch,
        cast(null as text) as head_sha,
        cast(null as text) as remote_url,
        cast(null as text) as github_full_name
    from git_commits
    where repository not in (select git_repositories.repository from git_repositories)

),

github_names as (

    select repository from github_pull_requests
    union
    select repository from github_issues
    union
    select repository from github_releases
    union
    select repository from github_deployments
    union
    select repository from github_workflow_runs

),

-- GitHub full names are case-insensitive; keep GitHub's own spelling.
github_repositories as (

    select
        lower(repository) as github_key,
        min(repository) as github_full_name
    from github_names
    where repository is not null
    group by lower(repository)

),

-- Without a clone, the branch most pull requests merge into stands in for the default branch.
merged_base_branches as (

    select
        lower(repository) as github_key,
        base_branch,
        count(*) as merged_count
    from github_pull_requests
    where merged_at is not null
    group by lower(repository), base_branch

),

github_default_branches as (

    select
        github_key,
        base_branch as default_branch
    from (
        select
            github_key,
            base_branch,
            row_number() over (
                partition by github_key
                order by merged_count desc, base_branch asc
            ) as branch_rank
        from merged_base_branches
    ) as ranked_base_branches
    where branch_rank = 1

),

-- Two clones of one GitHub repository: the first by name carries the GitHub link.
clones_linked as (

    select
        clones.*,
        lower(clones.github_full_name) as github_key,
        row_number() over (
            partition by lower(clones.github_full_name)
            order by clones.repository asc
        ) as clone_rank
    from clones

),

from_clones as (

    select
        clones_linked.repository,
        clones_linked.repository as git_repository,
        case
            when clones_linked.clone_rank = 1
                then coalesce(github_repositories.github_full_name, clones_linked.github_full_name)
        end as github_full_name,
        clones_linked.repository_path,
        clones_linked.remote_url,
        clones_linked.default_branch,
        clones_linked.head_sha,
        true as has_git_data,
        clones_linked.clone_rank = 1
        and github_repositories.github_key is not null as has_github_data
    from clones_linked
    left join github_repositories
        on clones_linked.github_key = github_repositories.github_key

),

github_only as (

    select
        github_repositories.github_full_name as repository,
        cast(null as text) as git_repository,
        github_repositories.github_full_name,
        cast(null as text) as repository_path,
        cast(null as text) as remote_url,
        github_default_branches.default_branch,
        cast(null as text) as head_sha,
        false as has_git_data,
        true as has_github_data
    from github_repositories
    left join github_default_branches
        on github_repositories.github_key = github_default_branches.github_key
    where github_repositories.github_key not in (
        select clones_linked.github_key
        from clones_linked
        where clones_linked.github_key is not null
    )

),

final as (

    select * from from_clones
    union all
    select * from github_only

)

select * from final
