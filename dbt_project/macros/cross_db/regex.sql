{#
    regex_matches(value, pattern): true when the regular expression matches anywhere in the
    value (a search, not a full match: anchor with ^ and $), null when the value is null.
    regex_extract(value, pattern): the first capture group of the first match, null when the
    pattern does not match (or the value is null).
    Both arguments are SQL expressions, like every cross_db macro: a column, or a quoted literal
    such as "'^v?[0-9]+'" (from a var: "'" ~ var('release_tag_pattern') ~ "'"). Matching is case
    sensitive: lower() the value for a case-insensitive match. Patterns in the common subset of
    RE2 (DuckDB) and Postgres regular expressions: classes, quantifiers, {n}, groups, anchors.
    DuckDB has regexp_matches/regexp_extract (which returns '' without a match); Postgres has
    the ~ operator and regexp_match (an array of the groups).
#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'tributary')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%}
    ({{ value }} ~ {{ pattern }})
{%- endmacro %}

{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro regex_extract(value, pattern) -%}
    {{ return(adapter.dispatch('regex_extract', 'tributary')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_extract(value, pattern) -%}
    (regexp_match({{ value }}, {{ pattern }}))[1]
{%- endmacro %}

{% macro duckdb__regex_extract(value, pattern) -%}
    case
        when regexp_matches({{ value }}, {{ pattern }})
            then regexp_extract({{ value }}, {{ pattern }}, 1)
    end
{%- endmacro %}
