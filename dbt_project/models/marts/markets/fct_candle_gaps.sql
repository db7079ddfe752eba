with

candle_gaps as (

    select * from {{ ref('int_markets__candle_gaps') }}

),

final as (

    select
        exchange,
        market,
        symbol,
        first_missing_at,
        last_missing_at,
        previous_candle_at,
        next_candle_at,
        cast(first_missing_at as date) as gap_date,
        cast(missing_minute_count as bigint) as missing_minute_count,
        {{ round_double('cast(missing_minute_count as double precision) / 60') }}
            as gap_duration_hours,
        cast(gap_reason as text) as gap_reason,
        gap_reason = 'missing_data' as is_data_missing,
        cast(maintenance_description as text) as maintenance_description

    from candle_gaps

)

select * from final
