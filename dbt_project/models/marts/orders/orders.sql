{#-
    One row per valid order on or before the as-of date. A view: the orders
    are priced and sequenced incrementally in int_orders_priced, and
    `publish` writes the view's rows as a table into the BI warehouse.
-#}
{{ config(materialized='view') }}

with

orders as (

    select * from {{ ref('int_orders_priced') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

orders_in_scope as (

    select orders.*
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.as_of_date

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        ordered_date,
        status,
        channel,
        is_purchase,
        is_zero_or_negative_net,
        count_lines,
        count_units,
        gross_revenue,
        discount_amount,
        net_revenue,
        product_cost,
        gross_margin,
        cost_to_serve,
        has_new_product,
        has_missing_unit_cost,
        order_sequence_number,
        purchase_sequence_number,
        days_since_previous_order,
        days_since_previous_purchase,
        refreshed_at
    from orders_in_scope

)

select * from final
