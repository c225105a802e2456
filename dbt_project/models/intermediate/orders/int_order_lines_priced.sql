{#-
    One row per valid order line with its order's customer and date, its
    product's category, and money before the order status is applied.

    Incremental per customer: a run recomputes the lines of the customers in
    int_customers_with_changed_orders since its last run, and of customers
    whose lines' product changed category or launch date.
-#}
{%- set refreshed_upstream = ['int_customers_with_changed_orders'] %}
{{ config(pre_hook="{{ delete_rows_of_refreshed_customers(" ~ refreshed_upstream ~ ") }}") }}
-- depends_on: {{ ref('int_customers_with_changed_orders') }}
with

{{ import_models({
    'order_lines': 'stg_crm__order_lines', 'orders': 'stg_crm__orders',
    'products': 'stg_crm__products'
}) }},

{% if is_incremental() -%}
-- A product's category or launch date changed since the line was priced.
customers_with_products_changed as (

    select priced_before.customer_id
    from {{ this }} as priced_before
    left join products
        on priced_before.product_id = products.product_id
    where products.product_id is null
        or priced_before.category <> products.category
        or priced_before.is_new_product <> {{ is_new_product('products.launched_date', 'priced_before.ordered_date') }}

),

customers_to_price as (

    {{ customers_refreshed_upstream(refreshed_upstream) }}
    union
    select customer_id from customers_with_products_changed

),
{%- endif %}

orders_in_scope as (

    select * from orders
    where {{ of_customers_in_scope('customers_to_price') }}

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
    inner join orders_in_scope as orders
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
        {{ is_new_product('launched_date', 'ordered_date') }} as is_new_product,
        {{ refreshed_at() }} as refreshed_at
    from lines_with_context

)

select * from priced
