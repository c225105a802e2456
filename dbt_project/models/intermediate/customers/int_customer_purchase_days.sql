{#-
    One row per customer and purchase day on or before the as-of date.
    A purchase is a completed order with net revenue above 0 (is_purchase in
    int_orders_priced); several purchases on one day are one purchase day, so
    a split basket is not a repeat purchase. Every customer fact that counts
    purchases (frequency, repeat, rhythm, recency, the CLV summary) reads
    this model.
-#}
with

orders as (

    select * from {{ ref('int_orders_priced') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

purchases_in_scope as (

    select orders.*
    from orders
    cross join as_of
    where orders.is_purchase
        and orders.ordered_date <= as_of.as_of_date

),

aggregated_to_days as (

    select
        customer_id,
        ordered_date as purchase_date,
        count(*) as count_orders,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(cost_to_serve) as cost_to_serve
    from purchases_in_scope
    group by customer_id, ordered_date

),

numbered as (

    select
        *,
        row_number() over (partition by customer_id order by purchase_date) as purchase_number,
        {{ days_between(
            'lag(purchase_date) over (partition by customer_id order by purchase_date)',
            'purchase_date'
        ) }} as days_since_previous_purchase
    from aggregated_to_days

),

final as (

    select
        customer_id,
        purchase_date,
        cast(purchase_number as integer) as purchase_number,
        cast(days_since_previous_purchase as integer) as days_since_previous_purchase,
        cast(count_orders as integer) as count_orders,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_margin as decimal(18, 2)) as gross_margin,
        cast(cost_to_serve as decimal(18, 2)) as cost_to_serve
    from numbered

)

select * from final
