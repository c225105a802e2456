{#-
    One row per customer with every signal the loyalty classification reads:
    repeat behaviour and rhythm from orders, attitude from the latest recent
    survey, referrals and signs of interest.
-#}
with

{{ import_models({
    'customers': 'stg_crm__customers',
    'customer_referrals': 'int_customer_referrals',
    'customer_orders': 'int_orders_aggregated_to_customers',
    'purchase_facts': 'int_customers_purchase_facts',
    'latest_surveys': 'int_survey_responses_latest_per_customer',
    'customer_tickets': 'int_service_tickets_aggregated_to_customers',
    'lifetime_value': 'int_customers_lifetime_value'
}) }},

referrals as (

    select
        referrer_customer_id as customer_id,
        count(*) as count_referrals
    from customer_referrals
    group by referrer_customer_id

),

final as (

    select
        customers.customer_id,
        coalesce(purchase_facts.count_purchases, 0) as count_purchases,
        coalesce(purchase_facts.count_purchases_in_lookback, 0) as count_purchases_in_lookback,
        purchase_facts.tenure_days as days_since_first_purchase,
        purchase_facts.days_since_last_purchase,
        coalesce(purchase_facts.count_purchase_intervals, 0) as count_purchase_intervals,
        purchase_facts.median_purchase_interval_days,
        coalesce(purchase_facts.has_own_rhythm, false) as has_own_rhythm,
        purchase_facts.rhythm_days,
        coalesce(customer_orders.count_categories_purchased_in_lookback, 0)
            as count_categories_purchased_in_lookback,
        coalesce(customer_orders.has_purchased_new_product, false) as has_purchased_new_product,
        lifetime_value.probability_active,
        latest_surveys.latest_survey_date,
        coalesce(latest_surveys.is_latest_survey_recent, false) as has_recent_survey,
        case when latest_surveys.is_latest_survey_recent then latest_surveys.attitudinal_score end
            as attitudinal_score,
        case when latest_surveys.is_latest_survey_recent then latest_surveys.nps_score end
            as nps_score,
        case when latest_surveys.is_latest_survey_recent then latest_surveys.csat_score end
            as csat_score,
        cast(coalesce(referrals.count_referrals, 0) as integer) as count_referrals,
        coalesce(customer_tickets.count_open_complaints, 0) as count_open_complaints,
        (
            customers.marketing_consent = 'opt_in'
            or customers.referred_by_customer_id is not null
            or latest_surveys.customer_id is not null
            or customer_tickets.customer_id is not null
        ) as has_shown_interest
    from customers
    left join customer_orders using (customer_id)
    left join purchase_facts using (customer_id)
    left join latest_surveys using (customer_id)
    left join customer_tickets using (customer_id)
    left join lifetime_value using (customer_id)
    left join referrals using (customer_id)

)

select * from final
