with

raw_funding_rates as (

    select * from {{ source('raw_exchange', 'funding_rates') }}

),

renamed as (

    select
        exchange,
        market,
        symbol,
        funding_time at time zone 'UTC' as funding_at,
        cast(funding_interval_hours as integer) as funding_interval_hours,
        funding_rate,
        source_file,
        _dlt_load_id as load_id

    from raw_funding_rates

)

select * from renamed
