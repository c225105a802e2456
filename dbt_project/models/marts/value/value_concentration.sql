{#-
    The cumulative profit curve: customers ranked by realised profit, one row
    per percentile of customers (1 = the most profitable 1%). Where the curve
    rises above 100% and falls back, the customers past the peak destroy
    profit (the "whale curve").
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
        max(case when profit_rank = last_rank then cumulative_realised_profit end)
        / nullif(min(total_realised_profit), 0) as cumulative_profit_share
    from with_last_rank
    group by customer_percentile

),

final as (

    select
        customer_percentile,
        as_of_date,
        cast(count_customers_cumulative as integer) as count_customers_cumulative,
        cast(count_customers_cumulative * 1.0 / count_customers as double precision)
            as customer_share_cumulative,
        cast(realised_profit_in_percentile as decimal(18, 2)) as realised_profit_in_percentile,
        cast(cumulative_realised_profit as decimal(18, 2)) as cumulative_realised_profit,
        cast(cumulative_profit_share as double precision) as cumulative_profit_share
    from percentiles

)

select * from final
