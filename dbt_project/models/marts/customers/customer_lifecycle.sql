{#- Computed once, in int_customers_lifecycle_assessed; this mart publishes its columns. -#}
with

lifecycle_assessed as (

    select * from {{ ref('int_customers_lifecycle_assessed') }}

),

final as (

    select
        customer_id,
        as_of_date,
        has_own_rhythm,
        at_risk_after_days,
        churned_after_days,
        tenure_band,
        recency_band,
        model_churn_risk,
        lifecycle_status,
        probability_active,
        churn_risk_score,
        churn_risk_band,
        lifecycle_explanation
    from lifecycle_assessed

)

select * from final
