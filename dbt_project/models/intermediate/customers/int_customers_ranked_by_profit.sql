{#-
    Customers with at least one order, ranked by realised profit (highest
    first) with the running total: the points of the whale curve behind the
    80/20 and 20/80/30 rules. Ranked by realised revenue too, with its running
    total, because the 80/20 rule is usually quoted on revenue.
-#}
with

{{ import_models({
    'lifetime_value': 'int_customers_lifetime_value',
    'customer_orders': 'int_orders_aggregated_to_customers'
}) }},

ranked as (

    select
        lifetime_value.customer_id,
        lifetime_value.as_of_date,
        lifetime_value.realised_profit,
        lifetime_value.realised_revenue,
        row_number() over (
            order by lifetime_value.realised_profit desc, lifetime_value.customer_id asc
        ) as profit_rank,
        count(*) over () as count_customers,
        sum(lifetime_value.realised_profit) over () as total_realised_profit,
        sum(lifetime_value.realised_profit) over (
            order by lifetime_value.realised_profit desc, lifetime_value.customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_realised_profit,
        row_number() over (
            order by lifetime_value.realised_revenue desc, lifetime_value.customer_id asc
        ) as revenue_rank,
        sum(lifetime_value.realised_revenue) over () as total_realised_revenue,
        sum(lifetime_value.realised_revenue) over (
            order by lifetime_value.realised_revenue desc, lifetime_value.customer_id asc
            rows between unbounded preceding and current row
        ) as cumulative_realised_revenue
    from lifetime_value
    inner join customer_orders
        on lifetime_value.customer_id = customer_orders.customer_id

)

select * from ranked
