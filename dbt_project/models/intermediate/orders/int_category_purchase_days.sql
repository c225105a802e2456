{#-
    One row per customer, product category and day on which the customer
    bought that category (completed orders), with the interval since their
    previous purchase day of the same category. Several orders on one day
    count as one purchase: a basket split in two is not a 0-day repurchase
    cycle. Every day is here, whatever the as-of date: the
    models that read it keep the days on or before it.

    Incremental per customer: a run recomputes the customers whose priced
    orders changed since its last run.
-#}
{%- set refreshed_upstream = ['int_customers_with_changed_orders', 'int_orders_priced'] %}
{{ config(pre_hook="{{ delete_rows_of_refreshed_customers(" ~ refreshed_upstream ~ ") }}") }}
-- depends_on: {{ ref('int_customers_with_changed_orders') }}
with

{{ import_models({'order_lines': 'int_order_lines_priced', 'orders': 'int_orders_priced'}) }},

{% if is_incremental() -%}
customers_in_scope as (

    {{ customers_refreshed_upstream(refreshed_upstream) }}

),
{%- endif %}

purchases_in_scope as (

    select * from orders
    where is_purchase
        and {{ of_customers_in_scope('customers_in_scope') }}

),

purchase_days as (

    select
        purchases.customer_id,
        order_lines.category,
        purchases.ordered_date as purchase_date,
        max(case when order_lines.is_new_product then 1 else 0 end) = 1 as has_new_product
    from order_lines
    inner join purchases_in_scope as purchases
        on order_lines.order_id = purchases.order_id
    group by
        purchases.customer_id,
        order_lines.category,
        purchases.ordered_date

),

intervals as (

    select
        customer_id,
        category,
        purchase_date,
        has_new_product,
        row_number() over (
            partition by customer_id, category order by purchase_date
        ) as purchase_number,
        {{ days_between(
            'lag(purchase_date) over (partition by customer_id, category order by purchase_date)',
            'purchase_date'
        ) }} as days_since_previous_purchase,
        {{ refreshed_at() }} as refreshed_at
    from purchase_days

)

select * from intervals
