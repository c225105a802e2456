with

order_lines as (

    select * from {{ ref('stg_crm__order_lines') }}

),

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

lines_with_context as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        orders.customer_id,
        cast(orders.ordered_at as date) as ordered_date,
        order_lines.product_id,
        products.category,
        products.launched_date,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.unit_cost,
        order_lines.discount_amount,
        order_lines.is_unit_cost_missing
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    inner join products
        on order_lines.product_id = products.product_id

),

priced as (

    select
        order_line_id,
        order_id,
        customer_id,
        ordered_date,
        product_id,
        category,
        quantity,
        is_unit_cost_missing,
        quantity * unit_price as gross_revenue,
        discount_amount,
        quantity * unit_price - discount_amount as net_revenue_before_status,
        quantity * unit_cost as product_cost,
        coalesce(
            launched_date <= ordered_date
            and {{ days_between('launched_date', 'ordered_date') }} <= {{ var('new_product_days') }},
            false
        ) as is_new_product
    from lines_with_context

)

select * from priced
