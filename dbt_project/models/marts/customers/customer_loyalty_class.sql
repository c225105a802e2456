{#- Computed once, in int_customers_loyalty_classified; this mart publishes its columns. -#}
with

loyalty_classified as (

    select * from {{ ref('int_customers_loyalty_classified') }}

),

final as (

    select
        customer_id,
        as_of_date,
        count_purchases,
        count_purchases_in_lookback,
        days_since_last_purchase,
        median_purchase_interval_days,
        has_own_rhythm,
        frequency_component,
        recency_component,
        behavioural_score,
        is_high_behaviour,
        count_categories_purchased_in_lookback,
        has_purchased_new_product,
        has_recent_survey,
        latest_survey_date,
        attitudinal_score,
        is_high_attitude,
        loyalty_class,
        behavioural_loyalty_band,
        nps_score,
        nps_category,
        count_referrals,
        loyalty_ladder_stage,
        count_open_complaints
    from loyalty_classified

)

select * from final
