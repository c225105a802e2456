{#-
    One row per customer with at least one order on or before the as-of date:
    their orders of every status, the money, and the categories they bought.
    Purchase counts, dates and rhythm are purchase facts
    (int_customers_purchase_facts).
-#}
with

{{ import_models({
    'orders': 'int_orders_priced', 'category_purchase_days': 'int_category_purchase_days',
    'as_of': 'int_as_of_date'
}) }},

orders_in_scope as (

    select orders.*
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.as_of_date

),

-- Each category counts once, without count(distinct): a category's first
-- purchase day is its purchase_number 1, and its first day in the lookback is
-- a day in it whose previous purchase day of the category is not.
category_days_in_scope as (

    select
        category_purchase_days.customer_id,
        category_purchase_days.purchase_number,
        category_purchase_days.has_new_product,
        {{ days_between('category_purchase_days.purchase_date', 'as_of.as_of_date') }}
            as days_before_as_of,
        category_purchase_days.days_since_previous_purchase
    from category_purchase_days
    cross join as_of
    where category_purchase_days.purchase_date <= as_of.as_of_date

),

categories_aggregated_to_customers as (

    select
        customer_id,
        sum(case when purchase_number = 1 then 1 else 0 end) as count_categories_purchased,
        sum(case
            when days_before_as_of < {{ var('behaviour_lookback_days') }}
                and (
                    days_since_previous_purchase is null
                    or days_before_as_of + days_since_previous_purchase
                    >= {{ var('behaviour_lookback_days') }}
                )
                then 1
            else 0
        end) as count_categories_purchased_in_lookback,
        max(case when has_new_product then 1 else 0 end) = 1 as has_purchased_new_product
    from category_days_in_scope
    group by customer_id

),

orders_aggregated as (

    select
        orders.customer_id,
        count(*) as count_orders,
        sum(case when orders.status = 'returned' then 1 else 0 end) as count_returned_orders,
        sum(case when orders.status = 'cancelled' then 1 else 0 end) as count_cancelled_orders,
        sum(case when orders.is_zero_or_negative_net then 1 else 0 end)
            as count_zero_or_negative_net_orders,
        min(orders.ordered_date) as first_order_date,
        sum(orders.gross_revenue) as gross_revenue,
        sum(orders.discount_amount) as discount_amount,
        sum(orders.net_revenue) as net_revenue,
        sum(orders.product_cost) as product_cost,
        sum(orders.gross_margin) as gross_margin,
        sum(orders.cost_to_serve) as order_cost_to_serve
    from orders_in_scope as orders
    group by orders.customer_id

),

final as (

    select
        orders_aggregated.customer_id,
        cast(orders_aggregated.count_orders as integer) as count_orders,
        cast(orders_aggregated.count_returned_orders as integer) as count_returned_orders,
        cast(orders_aggregated.count_cancelled_orders as integer) as count_cancelled_orders,
        cast(orders_aggregated.count_zero_or_negative_net_orders as integer)
            as count_zero_or_negative_net_orders,
        orders_aggregated.first_order_date,
        cast(orders_aggregated.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(orders_aggregated.discount_amount as decimal(18, 2)) as discount_amount,
        cast(orders_aggregated.net_revenue as decimal(18, 2)) as net_revenue,
        cast(orders_aggregated.product_cost as decimal(18, 2)) as product_cost,
        cast(orders_aggregated.gross_margin as decimal(18, 2)) as gross_margin,
        cast(orders_aggregated.order_cost_to_serve as decimal(18, 2)) as order_cost_to_serve,
        cast(coalesce(categories.count_categories_purchased, 0) as integer)
            as count_categories_purchased,
        cast(coalesce(categories.count_categories_purchased_in_lookback, 0) as integer)
            as count_categories_purchased_in_lookback,
        coalesce(categories.has_purchased_new_product, false) as has_purchased_new_product
    from orders_aggregated
    left join categories_aggregated_to_customers as categories
        on orders_aggregated.customer_id = categories.customer_id

)

select * from final
