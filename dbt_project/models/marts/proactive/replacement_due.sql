{#-
    One row per customer and product whose maintenance or replacement falls
    due near the as-of date: from var replacement_days_after_due days ago to
    var replacement_days_before_due days ahead. Only the
    customer's latest purchase of each product counts: a product bought again
    has been replaced.
-#}
with

{{ import_models({
    'order_lines': 'int_order_lines_priced', 'orders': 'int_orders_priced',
    'products': 'stg_crm__products', 'tiers': 'customer_segment_tier', 'as_of': 'int_as_of_date'
}) }},

-- Lines carry their order's customer and date; the few orders that are not
-- purchases (cancelled, returned) are taken out, which is cheaper than
-- joining every line to its order.
not_purchased_orders as (

    select order_id
    from orders
    where not is_purchase

),

latest_purchases as (

    select
        order_lines.customer_id,
        order_lines.product_id,
        max(order_lines.ordered_date) as last_purchase_date
    from order_lines
    left join not_purchased_orders
        on order_lines.order_id = not_purchased_orders.order_id
    cross join as_of
    where not_purchased_orders.order_id is null
        and order_lines.ordered_date <= as_of.as_of_date
    group by order_lines.customer_id, order_lines.product_id

),

due_dates as (

    select
        latest_purchases.customer_id,
        latest_purchases.product_id,
        products.product_name,
        products.category,
        latest_purchases.last_purchase_date,
        products.usage_cycle_days,
        cast(
            {{ dbt.dateadd('day', 'products.usage_cycle_days', 'latest_purchases.last_purchase_date') }}
            as date
        ) as due_date,
        as_of.as_of_date
    from latest_purchases
    inner join products
        on latest_purchases.product_id = products.product_id
    cross join as_of
    where products.usage_cycle_days is not null

),

in_window as (

    select
        *,
        {{ days_between('as_of_date', 'due_date') }} as days_until_due
    from due_dates
    where {{ days_between('as_of_date', 'due_date') }}
        between -{{ var('replacement_days_after_due') }} and {{ var('replacement_days_before_due') }}

),

final as (

    select
        in_window.customer_id,
        in_window.product_id,
        in_window.product_name,
        in_window.category,
        in_window.as_of_date,
        in_window.last_purchase_date,
        cast(in_window.usage_cycle_days as integer) as usage_cycle_days,
        in_window.due_date,
        cast(in_window.days_until_due as integer) as days_until_due,
        tiers.value_tier,
        cast(tiers.value_rank as integer) as value_rank,
        tiers.value_tier in ('platinum', 'gold') as is_key_customer
    from in_window
    inner join tiers
        on in_window.customer_id = tiers.customer_id

)

select * from final
