{#- One row per valid survey response, typed. -#}
with

base as (

    select * from {{ ref('base_crm__survey_responses') }}
    where row_status = 'valid'

),

final as (

    select
        response_id,
        customer_id,
        responded_at,
        csat_score,
        nps_score,
        trust_score,
        preference_score,
        repurchase_intent_score,
        comment
    from base

)

select * from final
