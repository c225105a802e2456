{#-
    One row per customer and product category the customer bought (completed
    purchases on or before the as-of date): how much and how often, the
    product bought last, and the categories ranked by net revenue, so a list
    can say what a customer likes (the favourite category) and which product
    to offer again.
-#}
with

{{ import_models({
    'order_lines': 'int_order_lines_priced', 'orders': 'int_orders_priced',
    'products': 'stg_crm__products', 'as_of': 'int_as_of_date'
}) }},

purchased_lines as (

    select
        order_lines.customer_id,
        order_lines.category,
        order_lines.product_id,
        order_lines.order_line_id,
        order_lines.ordered_date,
        order_lines.net_revenue_before_status as net_revenue
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    cross join as_of
    where orders.is_purchase
        and order_lines.category is not null
        and order_lines.ordered_date <= as_of.as_of_date

),

latest_products as (

    select
        customer_id,
        category,
        product_id as last_product_id
    from purchased_lines
    qualify row_number() over (
            partition by customer_id, category
            order by ordered_date desc, net_revenue desc, order_line_id desc
        ) = 1

),

by_category as (

    select
        customer_id,
        category,
        count(distinct ordered_date) as count_purchase_days,
        sum(net_revenue) as net_revenue,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchased_lines
    group by customer_id, category

),

final as (

    select
        by_category.customer_id,
        by_category.category,
        as_of.as_of_date,
        cast(by_category.count_purchase_days as integer) as count_purchase_days,
        cast(by_category.net_revenue as decimal(18, 2)) as net_revenue,
        by_category.first_purchase_date,
        by_category.last_purchase_date,
        latest_products.last_product_id,
        products.product_name as last_product_name,
        cast(
            row_number() over (
                partition by by_category.customer_id
                order by by_category.net_revenue desc, by_category.count_purchase_days desc, by_category.category asc
            ) as integer
        ) as category_rank
    from by_category
    inner join latest_products
        on by_category.customer_id = latest_products.customer_id
        and by_category.category = latest_products.category
    left join products
        on latest_products.last_product_id = products.product_id
    cross join as_of

)

select * from final
