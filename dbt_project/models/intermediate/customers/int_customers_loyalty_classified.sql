{#-
    Loyalty as behaviour x attitude (docs/marts.md).

    behavioural_score (0-1) = var behaviour_frequency_weight x frequency
                              + (1 - that weight) x recency, where
      frequency = purchases in the last var behaviour_lookback_days
                  / var behaviour_target_orders (capped at 1)
      recency   = 1 while the last purchase is within the customer's rhythm,
                  else rhythm / days since the last purchase
      rhythm    = the customer's median interval between purchases when they
                  have at least var rhythm_min_intervals intervals, else
                  var default_purchase_interval_days
    attitudinal_score (1-5) = mean of trust, preference and repurchase intent
    in the latest survey within var survey_recency_days; none: unknown.
    Lifecycle and churn risk: int_customers_lifecycle_assessed.
-#}
with

{{ import_models({'signals': 'int_customer_loyalty_signals', 'as_of': 'int_as_of_date'}) }},

scored as (

    select
        *,
        least(
            1.0,
            cast(count_purchases_in_lookback as double) / {{ var('behaviour_target_orders') }}
        ) as frequency_component,
        case
            when count_purchases = 0 then 0.0
            when days_since_last_purchase <= rhythm_days then 1.0
            else cast(rhythm_days as double) / days_since_last_purchase
        end as recency_component
    from signals

),

behaviour as (

    select
        *,
        {{ var('behaviour_frequency_weight') }} * frequency_component
        + (1 - {{ var('behaviour_frequency_weight') }}) * recency_component as behavioural_score
    from scored

),

classified as (

    select
        *,
        case
            when nps_score is null then 'unknown'
            when nps_score >= {{ var('nps_promoter_min') }} then 'promoter'
            when nps_score <= {{ var('nps_detractor_max') }} then 'detractor'
            else 'passive'
        end as nps_category,
        behavioural_score >= {{ var('behaviour_high_threshold') }} as is_high_behaviour,
        attitudinal_score >= {{ var('attitude_high_threshold') }} as is_high_attitude
    from behaviour

),

final as (

    select
        classified.customer_id,
        as_of.as_of_date,
        classified.count_purchases,
        classified.count_purchases_in_lookback,
        classified.days_since_last_purchase,
        cast(classified.median_purchase_interval_days as double)
            as median_purchase_interval_days,
        classified.has_own_rhythm,
        cast(classified.frequency_component as double) as frequency_component,
        cast(classified.recency_component as double) as recency_component,
        cast(round(cast(classified.behavioural_score as decimal(18, 10)), 4) as double) as behavioural_score,
        classified.is_high_behaviour,
        classified.count_categories_purchased_in_lookback,
        classified.has_purchased_new_product,
        classified.has_recent_survey,
        classified.latest_survey_date,
        cast(round(classified.attitudinal_score, 4) as double) as attitudinal_score,
        classified.is_high_attitude,
        case
            when classified.attitudinal_score is null then 'unknown'
            when classified.is_high_behaviour and classified.is_high_attitude then 'true_loyalty'
            when classified.is_high_attitude then 'latent_loyalty'
            when classified.is_high_behaviour then 'spurious_loyalty'
            else 'no_loyalty'
        end as loyalty_class,
        case
            when classified.is_high_behaviour then 'high_repeat'
            else 'low_repeat'
        end as behavioural_loyalty_band,
        classified.nps_score,
        classified.nps_category,
        classified.count_referrals,
        case
            when classified.count_purchases = 0 and classified.has_shown_interest then 'prospect'
            when classified.count_purchases = 0 then 'suspect'
            when classified.count_purchases = 1 then 'first_time_customer'
            when classified.nps_category = 'promoter' or classified.count_referrals > 0 then 'advocate'
            else 'repeat_customer'
        end as loyalty_ladder_stage,
        classified.count_open_complaints
    from classified
    cross join as_of

)

select * from final
