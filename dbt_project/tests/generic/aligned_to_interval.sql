{#
    Fails for every row whose timestamp column is not on a boundary of its interval:
    `minutes` is a number or a column holding the interval's length in minutes. Boundaries are
    counted from Monday 2000-01-03 00:00 UTC, the origin `bucket_start` uses, so every interval
    that divides a day starts at UTC midnight and weeks start on Monday.
#}
{% test aligned_to_interval(model, column_name, minutes) %}

with

offsets as (

    select
        {{ column_name }} as checked_at,
        {{ minutes }} as interval_minutes,
        extract(epoch from {{ column_name }})
        - extract(epoch from cast('2000-01-03 00:00:00' as timestamp)) as seconds_from_origin
    from {{ model }}

)

select *
from offsets
where
    seconds_from_origin <> floor(seconds_from_origin)
    or mod(cast(seconds_from_origin as bigint), cast(interval_minutes as bigint) * 60) <> 0

{% endtest %}
