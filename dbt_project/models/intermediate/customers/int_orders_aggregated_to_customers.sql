{#-
    One row per customer with at least one order on or before the as-of date:
    what they bought, how often, and their own purchase rhythm (behaviour
    is judged against the customer's own rhythm).
-#}
with

orders as (

    select * from {{ ref('int_orders_priced') }}

),

category_purchase_days as (

    select * from {{ ref('int_category_purchase_days') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

orders_in_scope as (

    select
        orders.*,
        case when orders.days_since_previous_purchase > 0 then orders.days_since_previous_purchase end
            as purchase_day_interval
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
        sum(case when orders.is_purchase then 1 else 0 end) as count_purchases,
        sum(case when orders.status = 'returned' then 1 else 0 end) as count_returned_orders,
        sum(case when orders.status = 'cancelled' then 1 else 0 end) as count_cancelled_orders,
        sum(case
            when orders.is_purchase
                and {{ days_between('orders.ordered_date', 'as_of.as_of_date') }}
                < {{ var('behaviour_lookback_days') }}
                then 1
            else 0
        end) as count_purchases_in_lookback,
        min(orders.ordered_date) as first_order_date,
        min(case when orders.is_purchase then orders.ordered_date end) as first_purchase_date,
        max(case when orders.is_purchase then orders.ordered_date end) as last_purchase_date,
        sum(orders.gross_revenue) as gross_revenue,
        sum(orders.discount_amount) as discount_amount,
        sum(orders.net_revenue) as net_revenue,
        sum(orders.product_cost) as product_cost,
        sum(orders.gross_margin) as gross_margin,
        sum(orders.cost_to_serve) as order_cost_to_serve,
        -- Intervals between purchase days: a second order on the same day is
        -- not a 0-day purchase rhythm.
        count(orders.purchase_day_interval) as count_purchase_intervals,
        {{ median('orders.purchase_day_interval') }} as median_purchase_interval_days,
        avg(orders.purchase_day_interval) as mean_purchase_interval_days
    from orders_in_scope as orders
    cross join as_of
    group by orders.customer_id

),

final as (

    select
        orders_aggregated.customer_id,
        cast(orders_aggregated.count_orders as integer) as count_orders,
        cast(orders_aggregated.count_purchases as integer) as count_purchases,
        cast(orders_aggregated.count_returned_orders as integer) as count_returned_orders,
        cast(orders_aggregated.count_cancelled_orders as integer) as count_cancelled_orders,
        cast(orders_aggregated.count_purchases_in_lookback as integer)
            as count_purchases_in_lookback,
        orders_aggregated.first_order_date,
        orders_aggregated.first_purchase_date,
        orders_aggregated.last_purchase_date,
        cast({{ days_between('orders_aggregated.last_purchase_date', 'as_of.as_of_date') }} as integer)
            as days_since_last_purchase,
        cast({{ days_between('orders_aggregated.first_purchase_date', 'as_of.as_of_date') }} as integer)
            as days_since_first_purchase,
        cast(orders_aggregated.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(orders_aggregated.discount_amount as decimal(18, 2)) as discount_amount,
        cast(orders_aggregated.net_revenue as decimal(18, 2)) as net_revenue,
        cast(orders_aggregated.product_cost as decimal(18, 2)) as product_cost,
        cast(orders_aggregated.gross_margin as decimal(18, 2)) as gross_margin,
        cast(orders_aggregated.order_cost_to_serve as decimal(18, 2)) as order_cost_to_serve,
        cast(orders_aggregated.count_purchase_intervals as integer) as count_purchase_intervals,
        cast(orders_aggregated.median_purchase_interval_days as double precision)
            as median_purchase_interval_days,
        cast(orders_aggregated.mean_purchase_interval_days as double precision)
            as mean_purchase_interval_days,
        cast(coalesce(categories.count_categories_purchased, 0) as integer)
            as count_categories_purchased,
        cast(coalesce(categories.count_categories_purchased_in_lookback, 0) as integer)
            as count_categories_purchased_in_lookback,
        coalesce(categories.has_purchased_new_product, false) as has_purchased_new_product
    from orders_aggregated
    cross join as_of
    left join categories_aggregated_to_customers as categories
        on orders_aggregated.customer_id = categories.customer_id

)

select * from final
