{#
    Plausible commit dates. Git records the clocks of the author and the committer as they
    were: an import that wrote epoch 0 dates a commit 1970-01-01, a clock decades ahead dates
    it 2099. A commit date is plausible
    - from `var('engineering_plausible_since')` (default 2005-04-07, the day git was first
      released: no commit made with git is older; history converted from an older version
      control system keeps its original dates: set it earlier for such repositories),
    - up to `var('engineering_clock_tolerance_hours')` (default 24) after the clone was read:
      no commit is younger than the clone that holds it; the tolerance exceeds the largest UTC
      offset (14 h), so a clock set to local time but recorded as UTC still passes.
    Override either with `--vars` or under `vars:` in dbt_project.yml.

    plausible_since(): the first plausible day, as text ('2005-04-07').
    clock_tolerance_hours(): the tolerance after the read, in hours.
    is_implausible_date(moment, read_at): a boolean expression, true when the timestamp
    `moment` lies before plausible_since() or more than the tolerance after the timestamp
    `read_at`; null when `moment` is null.
#}
{% macro plausible_since() -%}
    {{ return(var('engineering_plausible_since', '2005-04-07')) }}
{%- endmacro %}

{% macro clock_tolerance_hours() -%}
    {{ return(var('engineering_clock_tolerance_hours', 24)) }}
{%- endmacro %}

{% macro is_implausible_date(moment, read_at) -%}
    (
        {{ moment }} < cast('{{ plausible_since() }}' as timestamp)
        or {{ moment }} > {{ read_at }} + interval '{{ clock_tolerance_hours() }} hours'
    )
{%- endmacro %}
