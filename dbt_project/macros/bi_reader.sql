{#
    bi_reader_setup(): the on-run-start hook that gives BI tools their own read-only Postgres
    role. It creates the role `BI_READER_ROLE` (default `bi_reader`; empty turns this off) with
    LOGIN when it is missing, and grants it USAGE on the `marts` schema (dbt creates schemas
    before this hook runs). The `+grants` config of the marts in `dbt_project.yml` grants SELECT
    on each mart inside the transaction that builds it, so the role never sees a mart without
    its grant. Raw, staging, intermediate and reference schemas get no grant: the role cannot
    see them. The password is not set here (dbt logs hook SQL): the Dagster asset
    `bi/marts_copy` sets it from `BI_READER_PASSWORD`.
    DuckDB has no roles and one writer: nothing to do there; BI tools read the copy of the marts
    that `orchestration/bi_copy.py` publishes after every build.
#}
{% macro bi_reader_setup() -%}
    {{ return(adapter.dispatch('bi_reader_setup', 'tributary')()) }}
{%- endmacro %}

{% macro default__bi_reader_setup() -%}
{%- endmacro %}

{% macro postgres__bi_reader_setup() -%}
    {%- set role = env_var('BI_READER_ROLE', 'bi_reader') | trim -%}
    {%- set schema = generate_schema_name('marts', none) -%}
    {%- if role -%}
        {%- set role_literal = "'" ~ role | replace("'", "''") ~ "'" -%}
        {%- set schema_literal = "'" ~ schema | replace("'", "''") ~ "'" -%}
        do $bi_reader$
        begin
            if not exists (select from pg_roles where rolname = {{ role_literal }}) then
                begin
                    create role {{ adapter.quote(role) }} login;
                exception when duplicate_object or unique_violation then
                    null;  -- another run created it meanwhile
                end;
            end if;
            if exists (select from pg_namespace where nspname = {{ schema_literal }}) then
                grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }};
            end if;
        exception when insufficient_privilege then
            raise exception using
                message = format('cannot set up the BI role %s: %s', {{ role_literal }}, sqlerrm),
                hint = 'create the role and grant it usage on schema '
                    || {{ schema_literal }}
                    || ' yourself, or set BI_READER_ROLE to empty to turn BI grants off';
        end
        $bi_reader$
    {%- endif -%}
{%- endmacro %}
