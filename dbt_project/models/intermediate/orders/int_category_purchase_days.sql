{#-
    One row per customer, product category and day on which the customer
    bought that category (completed orders on or before the as-of date), with
    the interval since their previous purchase day of the same category.
    Several orders on one day count as one purchase: a basket split in two is
    not a 0-day repurchase cycle (brief section 4).
-#}
with

order_lines as (

    select * from {{ ref('int_order_lines_priced') }}

),

orders as (

    select * from {{ ref('int_orders_priced') }}

),

purchase_days as (

    select distinct
        orders.customer_id,
        order_lines.category,
        orders.ordered_date as purchase_date
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    where orders.is_purchase

),

intervals as (

    select
        customer_id,
        category,
        purchase_date,
        row_number() over (
            partition by customer_id, category order by purchase_date
        ) as purchase_number,
        {{ days_between(
            'lag(purchase_date) over (partition by customer_id, category order by purchase_date)',
            'purchase_date'
        ) }} as days_since_previous_purchase
    from purchase_days

)

select * from intervals
