{#-
    The cumulative profit curve: customers ranked by realised profit, one row
    per percentile of customers (1 = the most profitable 1%). Where the curve
    rises above 100% and falls back, the customers past the peak destroy
    profit (the "whale curve"). Beside it, the same curve on realised revenue
    (customers ranked by revenue), where the 80/20 rule is usually quoted.
-#}
with

ranked as (

    select * from {{ ref('int_customers_ranked_by_profit') }}

),

bucketed as (

    select
        *,
        cast(ceil(100.0 * profit_rank / count_customers) as integer) as customer_percentile
    from ranked

),

with_last_rank as (

    select
        *,
        max(profit_rank) over (partition by customer_percentile) as last_rank
    from bucketed

),

-- Percentiles are ranges of ranks, so the revenue curve's percentile ends at
-- the same rank: the running revenue total at that revenue rank.
revenue_at_percentile_end as (

    select
        with_last_rank.customer_percentile,
        by_revenue.cumulative_realised_revenue,
        by_revenue.total_realised_revenue
    from with_last_rank
    inner join ranked as by_revenue
        on with_last_rank.last_rank = by_revenue.revenue_rank
    where with_last_rank.profit_rank = with_last_rank.last_rank

),

percentiles as (

    select
        customer_percentile,
        min(as_of_date) as as_of_date,
        max(profit_rank) as count_customers_cumulative,
        min(count_customers) as count_customers,
        min(total_realised_profit) as total_realised_profit,
        sum(realised_profit) as realised_profit_in_percentile,
        max(case when profit_rank = last_rank then cumulative_realised_profit end)
            as cumulative_realised_profit,
        {{ ratio(
            'max(case when profit_rank = last_rank then cumulative_realised_profit end)',
            'min(total_realised_profit)'
        ) }} as cumulative_profit_share
    from with_last_rank
    group by customer_percentile

),

final as (

    select
        percentiles.customer_percentile,
        percentiles.as_of_date,
        cast(percentiles.count_customers_cumulative as integer) as count_customers_cumulative,
        cast(
            percentiles.count_customers_cumulative * 1.0 / percentiles.count_customers
            as double
        ) as customer_share_cumulative,
        cast(percentiles.realised_profit_in_percentile as decimal(18, 2))
            as realised_profit_in_percentile,
        cast(percentiles.cumulative_realised_profit as decimal(18, 2))
            as cumulative_realised_profit,
        cast(percentiles.cumulative_profit_share as double) as cumulative_profit_share,
        cast(revenue_at_percentile_end.cumulative_realised_revenue as decimal(18, 2))
            as cumulative_realised_revenue,
        {{ ratio(
            'revenue_at_percentile_end.cumulative_realised_revenue',
            'revenue_at_percentile_end.total_realised_revenue'
        ) }} as cumulative_revenue_share
    from percentiles
    inner join revenue_at_percentile_end using (customer_percentile)

)

select * from final
