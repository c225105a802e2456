{#-
    One row per customer and dbt run in which one of the customer's raw order
    or order line rows was judged again: the customers whose order facts an
    incremental run must recompute. A full build lists every customer with
    an order row. Rows are only ever added.
-#}
{#- Rows are only added (append ignores the folder's unique_key). -#}
{{ config(incremental_strategy='append') }}
with

orders as (

    select
        customer_id,
        order_id,
        refreshed_at
    from {{ ref('base_crm__orders') }}

),

-- Read by incremental runs only; imported here, where dbt sees the dependency.
order_lines as (  -- noqa: ST03

    select
        order_id,
        refreshed_at
    from {{ ref('base_crm__order_lines') }}

),

{% if is_incremental() -%}
customers_with_orders_judged as (

    select customer_id
    from orders
    where refreshed_at > {{ last_refreshed_at() }}

),

-- Every customer an order_id was ever exported for: a line belongs to the
-- order's customer, whichever version of the order is valid.
lines_judged as (

    select order_id
    from order_lines
    where refreshed_at > {{ last_refreshed_at() }}

),

customers_with_lines_judged as (

    select orders.customer_id
    from orders
    where orders.order_id in (select lines_judged.order_id from lines_judged)

),

changed as (

    select customer_id from customers_with_orders_judged
    union
    select customer_id from customers_with_lines_judged

),
{%- else -%}
changed as (

    select customer_id from orders

),
{%- endif %}

final as (

    select distinct
        customer_id,
        {{ refreshed_at() }} as refreshed_at
    from changed
    where customer_id is not null

)

select * from final
