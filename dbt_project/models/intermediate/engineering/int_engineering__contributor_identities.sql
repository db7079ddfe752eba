{#-
    Every identity a contributor shows up as, resolved to one contributor_id: each git author
    email (`.mailmap` applied) and each GitHub login. A login is a person; an email joins the
    login it is linked to, by GitHub's noreply address (`<id>+<login>@users.noreply.github.com`)
    or else by the pull request commits GitHub attributes to a login (the login most of the
    email's commits carry). contributor_id is the lower-cased login, or the email when it is
    linked to no login.
-#}
{%- set noreply_pattern = "'^(?:[0-9]+\\+)?([^@]+)@users\\.noreply\\.github\\.com$'" -%}

with

git_commits as (

    select * from {{ ref('stg_git__commits') }}

),

pull_request_commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

pull_request_reviews as (

    select * from {{ ref('stg_github__pull_request_reviews') }}

),

issues as (

    select * from {{ ref('stg_github__issues') }}

),

-- The `.mailmap`-applied email git gives each recorded email (the most used one, should
-- repositories map it differently).
recorded_email_uses as (

    select
        raw_author_email as recorded_email,
        author_email,
        count(*) as commit_count
    from git_commits
    where raw_author_email is not null and author_email is not null
    group by raw_author_email, author_email

),

mapped_emails as (

    select
        recorded_email,
        author_email
    from (
        select
            recorded_email,
            author_email,
            row_number() over (
                partition by recorded_email
                order by commit_count desc, author_email asc
            ) as use_rank
        from recorded_email_uses
    ) as ranked_email_uses
    where use_rank = 1

),

-- Emails of pull request commits, mapped like git maps them.
pull_request_commit_emails as (

    select
        coalesce(mapped_emails.author_email, pull_request_commits.author_email) as email,
        pull_request_commits.author_email as recorded_email,
        pull_request_commits.author_name,
        pull_request_commits.authored_at,
        lower(pull_request_commits.author_login) as login_key
    from pull_request_commits
    left join mapped_emails
        on pull_request_commits.author_email = mapped_emails.recorded_email
    where pull_request_commits.author_email is not null

),

git_emails as (

    select
        author_email as email,
        max(authored_at) as last_authored_at,
        {{ last_by('author_name', 'authored_at') }} as author_name,
        bool_or(is_bot) as is_bot,
        count(*) as commit_count
    from git_commits
    where author_email is not null
    group by author_email

),

pull_request_only_emails as (

    select
        email,
        max(authored_at) as last_authored_at,
        {{ last_by('author_name', 'authored_at') }} as author_name,
        false as is_bot,
        0 as commit_count
    from pull_request_commit_emails
    where email not in (select git_emails.email from git_emails)
    group by email

),

emails as (

    select * from git_emails
    union all
    select * from pull_request_only_emails

),

-- Every address an email was seen as, to find GitHub noreply addresses among them.
email_spellings as (

    select
        email,
        email as spelling
    from emails

    union

    select
        author_email as email,
        raw_author_email as spelling
    from git_commits
    where author_email is not null and raw_author_email is not null

    union

    select
        email,
        recorded_email as spelling
    from pull_request_commit_emails

),

login_links as (

    select
        email,
        lower({{ regex_extract('spelling', noreply_pattern) }}) as login_key,
        'noreply_email' as linked_by,
        1 as link_priority,
        count(*) as link_count
    from email_spellings
    where {{ regex_matches('spelling', noreply_pattern) }}
    group by email, lower({{ regex_extract('spelling', noreply_pattern) }})

    union all

    select
        email,
        login_key,
        'pull_request_commit' as linked_by,
        2 as link_priority,
        count(*) as link_count
    from pull_request_commit_emails
    where login_key is not null
    group by email, login_key

),

email_logins as (

    select
        email,
        login_key,
        linked_by
    from (
        select
            email,
            login_key,
            linked_by,
            row_number() over (
                partition by email
                order by link_priority asc, link_count desc, login_key asc
            ) as link_rank
        from login_links
    ) as ranked_login_links
    where link_rank = 1

),

login_sightings as (

    select
        author_login as sighted_login,
        is_author_bot as is_bot,
        true as is_spelled_by_github
    from pull_requests

    union all

    select
        reviewer_login as sighted_login,
        is_reviewer_bot as is_bot,
        true as is_spelled_by_github
    from pull_request_reviews

    union all

    select
        author_login as sighted_login,
        false as is_bot,
        true as is_spelled_by_github
    from pull_request_commits

    union all

    select
        author_login as sighted_login,
        is_author_bot as is_bot,
        true as is_spelled_by_github
    from issues

    union all

    select
        login_key as sighted_login,
        false as is_bot,
        false as is_spelled_by_github
    from email_logins

),

logins as (

    select
        lower(sighted_login) as login_key,
        -- GitHub's spelling when GitHub data has the login (a noreply address is lower-cased).
        coalesce(
            max(case when is_spelled_by_github then sighted_login end), max(sighted_login)
        ) as github_login,
        bool_or(is_bot or {{ is_bot_login('sighted_login') }}) as is_bot
    from login_sightings
    where sighted_login is not null
    group by lower(sighted_login)

),

email_identities as (

    select
        coalesce(email_logins.login_key, emails.email) as contributor_id,
        'git_email' as identity_type,
        emails.email as identity_value,
        emails.author_name as display_name,
        emails.is_bot or coalesce(logins.is_bot, false) as is_bot,
        email_logins.linked_by,
        emails.commit_count,
        emails.last_authored_at
    from emails
    left join email_logins
        on emails.email = email_logins.email
    left join logins
        on email_logins.login_key = logins.login_key

),

login_identities as (

    select
        login_key as contributor_id,
        'github_login' as identity_type,
        login_key as identity_value,
        github_login as display_name,
        is_bot,
        cast(null as text) as linked_by,
        0 as commit_count,
        cast(null as timestamp) as last_authored_at
    from logins

),

final as (

    select * from email_identities
    union all
    select * from login_identities

)

select * from final
