with

orders as (

    select * from {{ ref('int_orders_priced') }}

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
        days_since_previous_purchase
    from orders

)

select * from final
