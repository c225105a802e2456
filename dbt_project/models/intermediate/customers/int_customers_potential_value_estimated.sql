{#-
    Potential value by a simple, documented estimate:
    the customer keeps buying at their own average interval while they are
    "active", and the chance they are still active decays by e for every
    expected interval that has passed without a purchase.

      expected interval  = mean days between the customer's purchases
                           (fewer than var clv_min_orders_for_rate purchases:
                           the population's median interval, flagged)
      probability_active = 1 while not overdue,
                           else exp(-(days since last purchase - interval) / interval)
      purchases / month  = (365.25 / 12) / expected interval
      potential value    = purchases / month x probability_active
                           x contribution per purchase x monthly annuity factor

    The contribution per purchase is the customer's gross margin minus the
    order cost to serve, per completed purchase. The annuity factor
    discounts month by month over var clv_horizon_months at
    var clv_annual_discount_rate.
-#}
with

{{ import_models({
    'customer_orders': 'int_orders_aggregated_to_customers',
    'purchase_facts': 'int_customers_purchase_facts'
}) }},

population_rate as (

    select
        coalesce(
            {{ median('mean_purchase_interval_days') }},
            {{ var('default_purchase_interval_days') }}
        ) as population_interval_days
    from purchase_facts
    where count_purchases >= {{ var('clv_min_orders_for_rate') }}

),

intervals as (

    select
        purchase_facts.customer_id,
        purchase_facts.count_purchases,
        purchase_facts.days_since_last_purchase,
        (customer_orders.gross_margin - customer_orders.order_cost_to_serve)
        / purchase_facts.count_purchases as expected_margin_per_purchase,
        case
            when customer_orders.gross_margin - customer_orders.order_cost_to_serve < 0
                then 'negative_margin_after_cost_to_serve'
            when purchase_facts.count_purchases >= {{ var('clv_min_orders_for_rate') }}
                then 'customer_rate'
            else 'population_rate_fallback'
        end as potential_value_method,
        greatest(
            case
                when purchase_facts.count_purchases >= {{ var('clv_min_orders_for_rate') }}
                    then purchase_facts.mean_purchase_interval_days
                else population_rate.population_interval_days
            end,
            1
        ) as expected_interval_days
    from purchase_facts
    inner join customer_orders
        on purchase_facts.customer_id = customer_orders.customer_id
    cross join population_rate

),

activity as (

    select
        *,
        case
            when days_since_last_purchase <= expected_interval_days then 1.0
            else exp(-(days_since_last_purchase - expected_interval_days) / expected_interval_days)
        end as probability_active,
        (365.25 / 12) / expected_interval_days as purchases_per_month
    from intervals

),

final as (

    select
        customer_id,
        potential_value_method,
        cast(expected_interval_days as double) as expected_interval_days,
        cast(probability_active as double) as probability_active,
        cast(
            purchases_per_month * probability_active * {{ var('clv_horizon_months') }}
            as double
        ) as expected_purchases,
        cast(expected_margin_per_purchase as double) as expected_margin_per_purchase,
        cast(
            purchases_per_month * probability_active * expected_margin_per_purchase
            * {{ monthly_annuity_factor(var('clv_horizon_months'), var('clv_annual_discount_rate')) }}
            as double
        ) as potential_value
    from activity

)

select * from final
