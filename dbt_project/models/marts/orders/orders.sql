{#-
    One row per valid order on or before the as-of date. A view: the orders
    are priced and sequenced incrementally in int_orders_priced, and
    `publish` writes the view's rows as a table into the BI warehouse.
-#}
{{ config(materialized='view') }}

with

{{ import_models({'orders': 'int_orders_priced', 'as_of': 'int_as_of_date'}) }},

orders_in_scope as (

    select orders.*
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.as_of_date

),

final as (

    select
        orders_in_scope.order_id,
        orders_in_scope.customer_id,
        orders_in_scope.ordered_at,
        orders_in_scope.ordered_date,
        orders_in_scope.status,
        orders_in_scope.channel,
        orders_in_scope.is_purchase,
        orders_in_scope.is_zero_or_negative_net,
        orders_in_scope.count_lines,
        orders_in_scope.count_units,
        orders_in_scope.gross_revenue,
        orders_in_scope.discount_amount,
        orders_in_scope.net_revenue,
        orders_in_scope.product_cost,
        orders_in_scope.gross_margin,
        orders_in_scope.cost_to_serve,
        orders_in_scope.has_new_product,
        orders_in_scope.has_missing_unit_cost,
        orders_in_scope.order_sequence_number,
        orders_in_scope.purchase_sequence_number,
        orders_in_scope.days_since_previous_order,
        orders_in_scope.days_since_previous_purchase,
        orders_in_scope.refreshed_at
    from orders_in_scope

)

select * from final
