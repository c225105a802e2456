{#-
    Lifecycle status and churn risk, both read from one rule table (seed
    lifecycle_rules) with the same three inputs, so they cannot contradict
    each other:

      tenure_band       new (first purchase within var lifecycle_new_days)
                        or established
      recency_band      days since the last purchase against the customer's
                        own rhythm: within_rhythm, overdue (past
                        at_risk_after_days) or long_overdue (past
                        churned_after_days)
      model_churn_risk  1 - probability active (the purchase model, or the
                        simple estimate): low, medium (var
                        churn_risk_medium_min) or high (var churn_risk_high_min)

    With a rhythm of their own (purchase facts), a customer is overdue after
    var lifecycle_rhythm_at_risk_factor x their median interval and long
    overdue after var lifecycle_rhythm_churned_factor x it, never below var
    lifecycle_rhythm_min_days; without one, after var lifecycle_at_risk_days
    and var lifecycle_churned_days.
-#}
with

{{ import_models({
    'signals': 'int_customer_loyalty_signals', 'lifecycle_rules': 'lifecycle_rules',
    'as_of': 'int_as_of_date'
}) }},

thresholds as (

    select
        *,
        {{ rhythm_threshold_days(var('lifecycle_rhythm_at_risk_factor'), var('lifecycle_at_risk_days')) }}
            as at_risk_after_days,
        {{ rhythm_threshold_days(var('lifecycle_rhythm_churned_factor'), var('lifecycle_churned_days')) }}
            as churned_after_days,
        1 - probability_active as churn_risk_score
    from signals

),

banded as (

    select
        *,
        case
            when days_since_first_purchase < {{ var('lifecycle_new_days') }} then 'new'
            else 'established'
        end as tenure_band,
        case
            when days_since_last_purchase > churned_after_days then 'long_overdue'
            when days_since_last_purchase > at_risk_after_days then 'overdue'
            else 'within_rhythm'
        end as recency_band,
        case
            when churn_risk_score >= {{ var('churn_risk_high_min') }} then 'high'
            when churn_risk_score >= {{ var('churn_risk_medium_min') }} then 'medium'
            else 'low'
        end as model_churn_risk
    from thresholds

),

final as (

    select
        banded.customer_id,
        as_of.as_of_date,
        banded.has_own_rhythm,
        cast(banded.at_risk_after_days as double) as at_risk_after_days,
        cast(banded.churned_after_days as double) as churned_after_days,
        case when banded.count_purchases > 0 then banded.tenure_band end as tenure_band,
        case when banded.count_purchases > 0 then banded.recency_band end as recency_band,
        case when banded.count_purchases > 0 then banded.model_churn_risk end as model_churn_risk,
        coalesce(lifecycle_rules.lifecycle_status, 'never_purchased') as lifecycle_status,
        cast(banded.probability_active as double) as probability_active,
        cast(banded.churn_risk_score as double) as churn_risk_score,
        coalesce(lifecycle_rules.churn_risk_band, 'not_applicable') as churn_risk_band,
        coalesce(lifecycle_rules.explanation, 'Has never bought.') as lifecycle_explanation
    from banded
    cross join as_of
    left join lifecycle_rules
        on banded.count_purchases > 0
        and banded.tenure_band = lifecycle_rules.tenure_band
        and banded.recency_band = lifecycle_rules.recency_band
        and banded.model_churn_risk = lifecycle_rules.model_churn_risk

)

select * from final
