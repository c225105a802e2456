{#-
    One row per valid order, with money after discounts and returns
    and the customer's order sequence. Cancelled and returned
    orders bring no revenue and no product cost; a returned order still cost
    its fulfilment and return handling.

    The one definition of a purchase: a completed order with net revenue
    above 0. A completed order with net revenue 0 or below (fully
    discounted, a free replacement) keeps its money and its cost to serve
    but is flagged is_zero_or_negative_net and is not a purchase: it starts
    no purchase day, rhythm or repeat. Every order is here, whatever the
    as-of date: the models that read it keep the orders on or before it.

    Incremental per customer: a late order changes the sequence numbers and
    intervals of the customer's later orders, so a run recomputes every order
    of each customer whose orders or priced lines changed since its last run.
-#}
{%- set refreshed_upstream = ['int_customers_with_changed_orders', 'int_order_lines_priced'] %}
{{ config(pre_hook="{{ delete_rows_of_refreshed_customers(" ~ refreshed_upstream ~ ") }}") }}
-- depends_on: {{ ref('int_customers_with_changed_orders') }}
with

{{ import_models({'orders': 'stg_crm__orders', 'order_lines': 'int_order_lines_priced'}) }},

{% if is_incremental() -%}
customers_to_price as (

    {{ customers_refreshed_upstream(refreshed_upstream) }}

),
{%- endif %}

orders_in_scope as (

    select * from orders
    where {{ of_customers_in_scope('customers_to_price') }}

),

lines_in_scope as (

    select * from order_lines
    where {{ of_customers_in_scope('customers_to_price') }}

),

lines_aggregated_to_orders as (

    select
        order_id,
        count(*) as count_lines,
        sum(quantity) as count_units,
        sum(gross_revenue) as gross_revenue,
        sum(discount_amount) as discount_amount,
        sum(net_revenue_before_status) as net_revenue_before_status,
        sum(product_cost) as product_cost,
        max(case when is_new_product then 1 else 0 end) = 1 as has_new_product,
        max(case when is_unit_cost_missing then 1 else 0 end) = 1 as has_missing_unit_cost
    from lines_in_scope
    group by order_id

),

joined as (

    select
        orders_in_scope.order_id,
        orders_in_scope.customer_id,
        orders_in_scope.ordered_at,
        cast(orders_in_scope.ordered_at as date) as ordered_date,
        orders_in_scope.status,
        orders_in_scope.channel,
        orders_in_scope.status = 'completed'
        and coalesce(line_totals.net_revenue_before_status, 0) > 0 as is_purchase,
        orders_in_scope.status = 'completed'
        and coalesce(line_totals.net_revenue_before_status, 0) <= 0 as is_zero_or_negative_net,
        coalesce(line_totals.count_lines, 0) as count_lines,
        coalesce(line_totals.count_units, 0) as count_units,
        coalesce(line_totals.gross_revenue, 0) as gross_revenue,
        coalesce(line_totals.discount_amount, 0) as discount_amount,
        coalesce(line_totals.net_revenue_before_status, 0) as net_revenue_before_status,
        coalesce(line_totals.product_cost, 0) as product_cost_before_status,
        coalesce(line_totals.has_new_product, false) as has_new_product,
        coalesce(line_totals.has_missing_unit_cost, false) as has_missing_unit_cost
    from orders_in_scope
    left join lines_aggregated_to_orders as line_totals
        on orders_in_scope.order_id = line_totals.order_id

),

money_after_status as (

    select
        *,
        case when status = 'completed' then net_revenue_before_status else 0 end as net_revenue,
        case when status = 'completed' then product_cost_before_status else 0 end as product_cost,
        case
            when status = 'completed' then {{ var('cost_to_serve_per_order') }}
            when status = 'returned'
                then {{ var('cost_to_serve_per_order') }} + {{ var('cost_to_serve_per_return') }}
            else 0
        end as cost_to_serve
    from joined

),

sequenced as (

    select
        *,
        net_revenue - product_cost as gross_margin,
        row_number() over (
            partition by customer_id
            order by ordered_at, order_id
        ) as order_sequence_number,
        case
            when is_purchase
                then row_number() over (partition by customer_id, is_purchase order by ordered_at, order_id)
        end as purchase_sequence_number,
        {{ days_between(
            'lag(ordered_date) over (partition by customer_id order by ordered_at, order_id)',
            'ordered_date'
        ) }} as days_since_previous_order,
        case
            when is_purchase then {{ days_between(
                'lag(ordered_date) over (partition by customer_id, is_purchase order by ordered_at, order_id)',
                'ordered_date'
            ) }}
        end as days_since_previous_purchase
    from money_after_status

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
        cast(count_lines as integer) as count_lines,
        cast(count_units as integer) as count_units,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(product_cost as decimal(18, 2)) as product_cost,
        cast(gross_margin as decimal(18, 2)) as gross_margin,
        cast(cost_to_serve as decimal(18, 2)) as cost_to_serve,
        has_new_product,
        has_missing_unit_cost,
        cast(order_sequence_number as integer) as order_sequence_number,
        cast(purchase_sequence_number as integer) as purchase_sequence_number,
        cast(days_since_previous_order as integer) as days_since_previous_order,
        cast(days_since_previous_purchase as integer) as days_since_previous_purchase,
        {{ refreshed_at() }} as refreshed_at
    from sequenced

)

select * from final
