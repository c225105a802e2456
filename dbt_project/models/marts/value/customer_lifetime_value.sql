{#- Computed once, in int_customers_lifetime_value; this mart publishes its columns. -#}
with

lifetime_value as (

    select * from {{ ref('int_customers_lifetime_value') }}

),

final as (

    select
        customer_id,
        as_of_date,
        count_purchases,
        realised_revenue,
        product_cost,
        cost_to_serve,
        realised_profit,
        potential_value_method,
        expected_interval_days,
        probability_active,
        expected_purchases,
        expected_spend_per_purchase,
        expected_margin_per_purchase,
        potential_value,
        total_lifetime_value,
        horizon_months,
        annual_discount_rate
    from lifetime_value

)

select * from final
