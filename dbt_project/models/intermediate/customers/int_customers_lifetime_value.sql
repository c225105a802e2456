{#-
    Lifetime value as a net present value: what the
    customer has brought so far (realised profit) plus what the rest of the
    relationship is expected to bring (potential value), for every customer.
-#}
with

{{ import_models({
    'customers': 'stg_crm__customers', 'customer_orders': 'int_orders_aggregated_to_customers',
    'purchase_facts': 'int_customers_purchase_facts',
    'customer_tickets': 'int_service_tickets_aggregated_to_customers',
    'customer_contacts': 'int_contacts_aggregated_to_customers'
}) }},

-- The simple estimate, used for everyone when the predictive models were not
-- fitted (too few customers; see int_clv_model_fit).
simple_estimate as (

    select * from {{ ref('int_customers_potential_value_estimated') }}

),

-- The purchase model and Gamma-Gamma: rows only when the models were fitted.
predicted as (

    select * from {{ ref('int_customers_predicted_value') }}

),

potential_value as (

    select
        simple_estimate.customer_id,
        coalesce(predicted.potential_value_method, simple_estimate.potential_value_method)
            as potential_value_method,
        case
            when predicted.customer_id is null then simple_estimate.expected_interval_days
        end as expected_interval_days,
        coalesce(predicted.probability_active, simple_estimate.probability_active)
            as probability_active,
        coalesce(predicted.expected_purchases, simple_estimate.expected_purchases)
            as expected_purchases,
        predicted.expected_spend_per_purchase,
        coalesce(
            predicted.expected_margin_per_purchase, simple_estimate.expected_margin_per_purchase
        ) as expected_margin_per_purchase,
        coalesce(predicted.potential_value, simple_estimate.potential_value) as potential_value
    from simple_estimate
    left join predicted using (customer_id)

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

realised as (

    select
        customers.customer_id,
        coalesce(purchase_facts.count_purchases, 0) as count_purchases,
        coalesce(customer_orders.net_revenue, 0) as realised_revenue,
        coalesce(customer_orders.product_cost, 0) as product_cost,
        coalesce(customer_orders.order_cost_to_serve, 0)
        + coalesce(customer_tickets.ticket_cost_to_serve, 0)
        + coalesce(customer_contacts.contact_cost_to_serve, 0) as cost_to_serve
    from customers
    left join customer_orders using (customer_id)
    left join purchase_facts using (customer_id)
    left join customer_tickets using (customer_id)
    left join customer_contacts using (customer_id)

),

final as (

    select
        realised.customer_id,
        as_of.as_of_date,
        realised.count_purchases,
        cast(realised.realised_revenue as decimal(18, 2)) as realised_revenue,
        cast(realised.product_cost as decimal(18, 2)) as product_cost,
        cast(realised.cost_to_serve as decimal(18, 2)) as cost_to_serve,
        cast(
            realised.realised_revenue - realised.product_cost - realised.cost_to_serve
            as decimal(18, 2)
        ) as realised_profit,
        coalesce(potential_value.potential_value_method, 'no_purchases') as potential_value_method,
        potential_value.expected_interval_days,
        potential_value.probability_active,
        coalesce(potential_value.expected_purchases, 0) as expected_purchases,
        potential_value.expected_spend_per_purchase,
        potential_value.expected_margin_per_purchase,
        cast(coalesce(potential_value.potential_value, 0) as decimal(18, 2)) as potential_value,
        cast(
            realised.realised_revenue - realised.product_cost - realised.cost_to_serve
            + coalesce(potential_value.potential_value, 0)
            as decimal(18, 2)
        ) as total_lifetime_value,
        {{ var('clv_horizon_months') }} as horizon_months,
        cast({{ var('clv_annual_discount_rate') }} as double) as annual_discount_rate
    from realised
    cross join as_of
    left join potential_value using (customer_id)

)

select * from final
