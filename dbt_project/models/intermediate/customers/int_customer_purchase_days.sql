{#-
    One row per customer and purchase day on or before the as-of date.
    A purchase is a completed order with net revenue above 0 (is_purchase in
    int_orders_priced); several purchases on one day are one purchase day, so
    a split basket is not a repeat purchase. Every customer fact that counts
    purchases (frequency, repeat, rhythm, recency, the CLV summary) reads
    this model.
-#}
with

{{ import_models({'orders': 'int_orders_priced', 'as_of': 'int_as_of_date'}) }},

aggregated_to_days as (

    select
        orders.ordered_date as purchase_date,
        orders.customer_id,
        cast(count(*) as integer) as count_orders,
        sum(orders.net_revenue) as net_revenue,
        sum(orders.gross_margin) as gross_margin,
        sum(orders.cost_to_serve) as cost_to_serve
    from orders
    cross join as_of
    where orders.is_purchase
        and orders.ordered_date <= as_of.as_of_date
    group by orders.customer_id, orders.ordered_date

),

numbered as (

    select
        *,
        cast(row_number() over (partition by customer_id order by purchase_date) as integer)
            as purchase_number,
        cast({{ days_between(
            'lag(purchase_date) over (partition by customer_id order by purchase_date)',
            'purchase_date'
        ) }} as integer) as days_since_previous_purchase
    from aggregated_to_days

)

select * from numbered
