{%- set risk_free_rate_daily -%}
    (cast({{ var('risk_free_rate_annual', 0) }} as double precision) / 365)
{%- endset -%}

with

daily_candles as (

    select * from {{ ref('fct_market_daily') }}

),

observations as (

    -- Each series' days in order, numbered: the windows count observations (rows), so a missing
    -- day is skipped, not filled.
    select
        exchange,
        market,
        symbol,
        trading_date,
        close_price,
        simple_return,
        log_return,
        simple_return - {{ risk_free_rate_daily }} as excess_return,
        row_number() over (
            partition by exchange, market, symbol
            order by trading_date
        ) as observation_number

    from daily_candles

),

peaks as (

    select
        *,
        max(close_price) over (
            partition by exchange, market, symbol
            order by observation_number
            rows between unbounded preceding and current row
        ) as peak_close_price

    from observations

),

drawdowns as (

    select
        *,
        case
            when peak_close_price > 0
                then
                    cast(close_price - peak_close_price as double precision)
                    / cast(peak_close_price as double precision)
        end as drawdown

    from peaks

),

rolling_windows as (

    -- Windows of the last 30 observations; a window is full when it holds 30 returns. Means
    -- are added exactly (exact_avg), so every build gives the same bits.
    select
        *,
        min(drawdown) over (
            partition by exchange, market, symbol
            order by observation_number
            rows between unbounded preceding and current row
        ) as max_drawdown,
        count(log_return) over last_30 as log_return_count,
        {{ exact_avg('log_return', 'last_30') }} as mean_log_return,
        count(simple_return) over last_30 as simple_return_count,
        {{ exact_avg('simple_return', 'last_30') }} as mean_simple_return,
        {{
            exact_avg(
                'case when excess_return < 0 then excess_return * excess_return else 0 end',
                'last_30'
            )
        }} as downside_variance

    from drawdowns
    window last_30 as (
        partition by exchange, market, symbol
        order by observation_number
        rows between 29 preceding and current row
    )

),

rolling_variances as (

    -- Sample variances of the window's returns, in two passes: squared distances from the
    -- window's mean, summed, over 29.
    select
        *,
        (
            {{ metrics_sum_of_squared_deviations('log_return', 'mean_log_return', 30, 'by_date') }}
        ) / 29 as log_return_variance,
        (
            {{ metrics_sum_of_squared_deviations(
                'simple_return', 'mean_simple_return', 30, 'by_date'
            ) }}
        ) / 29 as simple_return_variance

    from rolling_windows
    window by_date as (partition by exchange, market, symbol order by observation_number)

),

annualized_ratios as (

    select
        *,
        case
            when log_return_count = 30
                then sqrt(log_return_variance) * sqrt(cast(365 as double precision))
        end as volatility_30d_annualized,
        case
            when simple_return_count = 30
                then
                    (mean_simple_return - {{ risk_free_rate_daily }})
                    / nullif(sqrt(simple_return_variance), 0)
                    * sqrt(cast(365 as double precision))
        end as sharpe_30d,
        case
            when simple_return_count = 30
                then
                    (mean_simple_return - {{ risk_free_rate_daily }})
                    / nullif(sqrt(downside_variance), 0)
                    * sqrt(cast(365 as double precision))
        end as sortino_30d

    from rolling_variances

),

final as (

    select
        exchange,
        market,
        symbol,
        trading_date,
        cast(close_price as numeric(38, 8)) as close_price,
        cast(peak_close_price as numeric(38, 8)) as peak_close_price,
        {{ round_double('drawdown') }} as drawdown,
        {{ round_double('max_drawdown') }} as max_drawdown,
        {{ round_double('volatility_30d_annualized') }} as volatility_30d_annualized,
        {{ round_double('sharpe_30d') }} as sharpe_30d,
        {{ round_double('sortino_30d') }} as sortino_30d

    from annualized_ratios

)

select * from final
