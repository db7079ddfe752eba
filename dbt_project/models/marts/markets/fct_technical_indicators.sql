with recursive

daily_candles as (

    select * from {{ ref('fct_market_daily') }}

),

observations as materialized (

    -- Each series' days in order, numbered: the indicators count observations (rows), so a
    -- missing day is skipped, not filled. A series (exchange, market, symbol) gets a number too.
    select
        exchange,
        market,
        symbol,
        trading_date,
        close_price,
        cast(close_price as double precision) as close_value,
        dense_rank() over (order by exchange, market, symbol) as series_number,
        row_number() over (
            partition by exchange, market, symbol
            order by trading_date
        ) as observation_number

    from daily_candles

),

price_changes as (

    select
        *,
        close_value - lag(close_value) over (
            partition by series_number
            order by observation_number
        ) as price_change

    from observations

),

gains_and_losses as (

    select
        *,
        case when price_change > 0 then price_change else 0 end as gain,
        case when price_change < 0 then -price_change else 0 end as loss

    from price_changes

),

series_histories as materialized (

    -- One row per series: its closes, gains and losses as arrays indexed by observation number
    -- (the recursive step below reads one element of each per step, instead of looking the day
    -- up among all days, which Postgres would rescan at every step), and the seeds of the
    -- recursive averages: the SMA of the first 12 and 26 closes, and the mean gain and loss of
    -- the first 14 changes (observations 2 to 15), added exactly (exact_avg: the same bits in
    -- every build).
    select
        series_number,
        count(*) as observation_count,
        array_agg(close_value order by observation_number) as close_values,
        array_agg(gain order by observation_number) as gains,
        array_agg(loss order by observation_number) as losses,
        {{ exact_avg('case when observation_number <= 12 then close_price end') }}
            as mean_first_12_closes,
        {{ exact_avg('case when observation_number <= 26 then close_price end') }}
            as mean_first_26_closes,
        {{ exact_avg('case when observation_number between 2 and 15 then gain end') }}
            as mean_first_14_gains,
        {{ exact_avg('case when observation_number between 2 and 15 then loss end') }}
            as mean_first_14_losses

    from gains_and_losses
    group by series_number

),

smoothed_averages as (

    -- One step per observation number, all series at once. EMA(n) starts at observation n with
    -- the SMA of the first n closes, then ema = previous + 2 / (n + 1) * (close - previous).
    -- Wilder's averages start at observation 15 with the means of the first 14 gains and
    -- losses, then (previous * 13 + current) / 14. The MACD signal, EMA(9) of the MACD line,
    -- starts at observation 34 with the mean of the first 9 MACD values (a running sum over
    -- observations 26 to 34).
    select
        series_number,
        cast(1 as bigint) as observation_number,
        cast(null as double precision) as ema_12,
        cast(null as double precision) as ema_26,
        cast(null as double precision) as average_gain,
        cast(null as double precision) as average_loss,
        cast(null as double precision) as macd_line,
        cast(null as double precision) as macd_sum,
        cast(null as double precision) as macd_signal

    from series_histories

    union all

    select
        stepped.series_number,
        stepped.observation_number,
        stepped.ema_12,
        stepped.ema_26,
        stepped.average_gain,
        stepped.average_loss,
        stepped.ema_12 - stepped.ema_26 as macd_line,
        case
            when stepped.observation_number between 26 and 34
                then
                    coalesce(stepped.previous_macd_sum, 0)
                    + (stepped.ema_12 - stepped.ema_26)
        end as macd_sum,
        case
            when stepped.observation_number = 34
                then (stepped.previous_macd_sum + (stepped.ema_12 - stepped.ema_26)) / 9
            when stepped.observation_number > 34
                then
                    stepped.previous_macd_signal
                    + 2 * ((stepped.ema_12 - stepped.ema_26) - stepped.previous_macd_signal) / 10
        end as macd_signal

    from (

        -- The day's EMAs and Wilder averages from the previous day's.
        select
            today.series_number,
            today.observation_number,
            today.previous_macd_sum,
            today.previous_macd_signal,
            case
                when today.observation_number = 12 then today.mean_first_12_closes
                when today.observation_number > 12
                    then
                        today.previous_ema_12
                        + 2 * (today.close_value - today.previous_ema_12) / 13
            end as ema_12,
            case
                when today.observation_number = 26 then today.mean_first_26_closes
                when today.observation_number > 26
                    then
                        today.previous_ema_26
                        + 2 * (today.close_value - today.previous_ema_26) / 27
            end as ema_26,
            case
                when today.observation_number = 15 then today.mean_first_14_gains
                when today.observation_number > 15
                    then (today.previous_average_gain * 13 + today.gain) / 14
            end as average_gain,
            case
                when today.observation_number = 15 then today.mean_first_14_losses
                when today.observation_number > 15
                    then (today.previous_average_loss * 13 + today.loss) / 14
            end as average_loss

        from (

            -- The next observation of each series that has one, with the previous day's state.
            select
                yesterday.series_number,
                yesterday.observation_number + 1 as observation_number,
                histories.close_values[yesterday.observation_number + 1] as close_value,
                histories.gains[yesterday.observation_number + 1] as gain,
                histories.losses[yesterday.observation_number + 1] as loss,
                histories.mean_first_12_closes,
                histories.mean_first_26_closes,
                histories.mean_first_14_gains,
                histories.mean_first_14_losses,
                yesterday.ema_12 as previous_ema_12,
                yesterday.ema_26 as previous_ema_26,
                yesterday.average_gain as previous_average_gain,
                yesterday.average_loss as previous_average_loss,
                yesterday.macd_sum as previous_macd_sum,
                yesterday.macd_signal as previous_macd_signal

            from smoothed_averages as yesterday
            inner join series_histories as histories
                on yesterday.series_number = histories.series_number
            where yesterday.observation_number < histories.observation_count

        ) as today

    ) as stepped

),

moving_averages as (

    -- Means of the last 20, 50 and 200 closes, summed exactly as decimals.
    select
        *,
        cast(avg(close_price) over last_20 as double precision) as mean_close_20,
        cast(avg(close_price) over last_50 as double precision) as mean_close_50,
        cast(avg(close_price) over last_200 as double precision) as mean_close_200

    from observations
    window
        by_date as (partition by series_number order by observation_number),
        last_20 as (by_date rows between 19 preceding and current row),
        last_50 as (by_date rows between 49 preceding and current row),
        last_200 as (by_date rows between 199 preceding and current row)

),

bollinger_deviations as (

    -- Population standard deviation of the last 20 closes, in two passes: the squared distances
    -- from their mean, averaged.
    select
        *,
        sqrt(
            (
                {{ metrics_sum_of_squared_deviations(
                    'close_value', 'mean_close_20', 20, 'by_date'
                ) }}
            ) / 20
        ) as standard_deviation_20

    from moving_averages
    window by_date as (partition by series_number order by observation_number)

),

indicator_inputs as (

    -- The windowed indicators, ready to meet the recursive ones in a single join.
    select
        exchange,
        market,
        symbol,
        trading_date,
        close_price,
        series_number,
        observation_number,
        case when observation_number >= 20 then mean_close_20 end as sma_20,
        case when observation_number >= 50 then mean_close_50 end as sma_50,
        case when observation_number >= 200 then mean_close_200 end as sma_200,
        mean_close_20 + 2 * standard_deviation_20 as bollinger_upper,
        mean_close_20 - 2 * standard_deviation_20 as bollinger_lower

    from bollinger_deviations

),

final as (

    select
        indicator_inputs.exchange,
        indicator_inputs.market,
        indicator_inputs.symbol,
        indicator_inputs.trading_date,
        cast(indicator_inputs.close_price as numeric(38, 8)) as close_price,
        {{ round_double('indicator_inputs.sma_20') }} as sma_20,
        {{ round_double('indicator_inputs.sma_50') }} as sma_50,
        {{ round_double('indicator_inputs.sma_200') }} as sma_200,
        {{ round_double('smoothed_averages.ema_12') }} as ema_12,
        {{ round_double('smoothed_averages.ema_26') }} as ema_26,
        {{ round_double(
            'case when smoothed_averages.average_loss = 0 then cast(100 as double precision)'
            ~ ' else 100 - 100 / (1 + smoothed_averages.average_gain'
            ~ ' / smoothed_averages.average_loss) end'
        ) }} as rsi_14,
        {{ round_double('smoothed_averages.macd_line') }} as macd_line,
        {{ round_double('smoothed_averages.macd_signal') }} as macd_signal,
        {{ round_double('smoothed_averages.macd_line - smoothed_averages.macd_signal') }}
            as macd_histogram,
        {{ round_double('indicator_inputs.sma_20') }} as bollinger_middle,
        {{ round_double('indicator_inputs.bollinger_upper') }} as bollinger_upper,
        {{ round_double('indicator_inputs.bollinger_lower') }} as bollinger_lower

    from indicator_inputs
    inner join smoothed_averages
        on
            indicator_inputs.series_number = smoothed_averages.series_number
            and indicator_inputs.observation_number = smoothed_averages.observation_number

)

select * from final
