{#
    is_bot_login(login_column, type_column=none): true when a GitHub account is a bot: its login
    ends with `[bot]` (dependabot[bot], github-actions[bot], renovate[bot]) or, when a type
    column is given, GitHub calls the account type `Bot`. False (never null) otherwise, also for
    a null login. Both arguments are SQL expressions; portable SQL (DuckDB and Postgres).
#}
{% macro is_bot_login(login_column, type_column=none) -%}
    (
        coalesce(right(lower({{ login_column }}), 5) = '[bot]', false)
        {%- if type_column is not none %}
            or coalesce(lower({{ type_column }}) = 'bot', false)
        {%- endif %}
    )
{%- endmacro %}
