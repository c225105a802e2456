{#-
    One row per customer: attributes (no personal data: names, e-mail and
    phone live in schema restricted) joined with the intermediate customer
    models: purchase facts, value, tier and RFM, loyalty, lifecycle and
    service. The table a BI tool starts from, and the only mart that joins
    them.
-#}
with

{{ import_models({
    'customers': 'stg_crm__customers', 'customer_orders': 'int_orders_aggregated_to_customers',
    'purchase_facts': 'int_customers_purchase_facts',
    'customer_tickets': 'int_service_tickets_aggregated_to_customers',
    'lifetime_value': 'int_customers_lifetime_value', 'segment_tiers': 'int_customers_tiered',
    'loyalty': 'int_customers_loyalty_classified',
    'lifecycle': 'int_customers_lifecycle_assessed', 'loyalty_classes': 'loyalty_classes',
    'ladder_stages': 'loyalty_ladder_stages', 'consent': 'int_customers_consent_resolved',
    'repurchase_cycles': 'customer_repurchase_cycles', 'replacements': 'replacement_due'
}) }},

regular_cycles_aggregated as (

    select
        customer_id,
        count(*) as count_regular_categories,
        min(expected_next_purchase_date) as next_expected_purchase_date
    from repurchase_cycles
    where is_regular
    group by customer_id

),

replacements_aggregated as (

    select
        customer_id,
        count(*) as count_replacements_due,
        min(due_date) as next_replacement_due_date
    from replacements
    group by customer_id

),

final as (

    select
        customers.customer_id,
        lifetime_value.as_of_date,
        cast(customers.created_at as date) as created_date,
        customers.customer_type,
        customers.region,
        customers.city,
        customers.gender,
        customers.birth_year,
        customers.income_band,
        customers.acquisition_channel,
        customers.is_vip_member,
        customers.referred_by_customer_id,
        consent.marketing_consent = 'opt_in' as is_marketing_consented,
        coalesce(customer_orders.count_orders, 0) as count_orders,
        lifetime_value.count_purchases,
        coalesce(customer_orders.count_returned_orders, 0) as count_returned_orders,
        coalesce(customer_orders.count_cancelled_orders, 0) as count_cancelled_orders,
        coalesce(customer_orders.count_zero_or_negative_net_orders, 0)
            as count_zero_or_negative_net_orders,
        coalesce(purchase_facts.is_repeat_purchaser, false) as is_repeat_purchaser,
        purchase_facts.first_purchase_date,
        purchase_facts.last_purchase_date,
        purchase_facts.tenure_days,
        purchase_facts.days_since_last_purchase,
        coalesce(customer_orders.count_categories_purchased, 0) as count_categories_purchased,
        lifetime_value.realised_revenue,
        lifetime_value.product_cost,
        lifetime_value.cost_to_serve,
        lifetime_value.realised_profit,
        lifetime_value.potential_value,
        lifetime_value.total_lifetime_value,
        lifetime_value.potential_value_method,
        lifetime_value.expected_purchases,
        segment_tiers.value_rank,
        segment_tiers.value_percentile,
        segment_tiers.value_tier,
        segment_tiers.value_tier_label_zh,
        segment_tiers.recency_score,
        segment_tiers.frequency_score,
        segment_tiers.monetary_score,
        segment_tiers.rfm_cell,
        segment_tiers.rfm_segment,
        loyalty.behavioural_score,
        loyalty.attitudinal_score,
        loyalty.loyalty_class,
        loyalty.behavioural_loyalty_band,
        loyalty_classes.loyalty_class_label_zh,
        loyalty.nps_score,
        loyalty.nps_category,
        loyalty.loyalty_ladder_stage,
        ladder_stages.loyalty_ladder_stage_label_zh,
        loyalty.count_referrals,
        loyalty.median_purchase_interval_days,
        lifecycle.lifecycle_status,
        lifecycle.probability_active,
        lifecycle.churn_risk_score,
        lifecycle.churn_risk_band,
        coalesce(customer_tickets.count_tickets, 0) as count_tickets,
        coalesce(customer_tickets.count_complaints, 0) as count_complaints,
        coalesce(customer_tickets.count_open_complaints, 0) as count_open_complaints,
        customer_tickets.avg_first_response_hours,
        cast(coalesce(regular_cycles_aggregated.count_regular_categories, 0) as integer)
            as count_regular_categories,
        regular_cycles_aggregated.next_expected_purchase_date,
        cast(
            {{ days_between('lifetime_value.as_of_date', 'regular_cycles_aggregated.next_expected_purchase_date') }}
            as integer
        ) as days_until_next_expected_purchase,
        cast(coalesce(replacements_aggregated.count_replacements_due, 0) as integer)
            as count_replacements_due,
        replacements_aggregated.next_replacement_due_date
    from customers
    inner join lifetime_value using (customer_id)
    inner join segment_tiers using (customer_id)
    inner join loyalty using (customer_id)
    inner join lifecycle using (customer_id)
    inner join loyalty_classes
        on loyalty.loyalty_class = loyalty_classes.loyalty_class
    inner join ladder_stages
        on loyalty.loyalty_ladder_stage = ladder_stages.loyalty_ladder_stage
    inner join consent using (customer_id)
    left join customer_orders using (customer_id)
    left join purchase_facts using (customer_id)
    left join customer_tickets using (customer_id)
    left join regular_cycles_aggregated using (customer_id)
    left join replacements_aggregated using (customer_id)

)

select * from final
