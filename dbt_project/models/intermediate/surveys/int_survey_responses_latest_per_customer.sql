{#-
    One row per customer who answered a survey on or before the as-of date:
    their latest answer, and whether it is recent enough to speak for their
    attitude today (var survey_recency_days: a customer with
    no recent survey has unknown attitude).
-#}
with

{{ import_models({'survey_responses': 'stg_crm__survey_responses', 'as_of': 'int_as_of_date'}) }},

responses_in_scope as (

    select
        survey_responses.*,
        cast(survey_responses.responded_at as date) as responded_date,
        row_number() over (
            partition by survey_responses.customer_id
            order by survey_responses.responded_at desc, survey_responses.response_id desc
        ) as recency_rank,
        count(*) over (partition by survey_responses.customer_id) as count_survey_responses
    from survey_responses
    cross join as_of
    where cast(survey_responses.responded_at as date) <= as_of.as_of_date

),

latest as (

    select
        responses_in_scope.customer_id,
        responses_in_scope.response_id as latest_response_id,
        responses_in_scope.responded_date as latest_survey_date,
        responses_in_scope.count_survey_responses,
        {{ days_between('responses_in_scope.responded_date', 'as_of.as_of_date') }}
        <= {{ var('survey_recency_days') }} as is_latest_survey_recent,
        responses_in_scope.csat_score,
        responses_in_scope.nps_score,
        responses_in_scope.trust_score,
        responses_in_scope.preference_score,
        responses_in_scope.repurchase_intent_score
    from responses_in_scope
    cross join as_of
    where responses_in_scope.recency_rank = 1

),

scored as (

    select
        *,
        {#- the mean of the attitude items that were answered -#}
        
        (
            coalesce(trust_score, 0)
            + coalesce(preference_score, 0)
            + coalesce(repurchase_intent_score, 0)
        ) * 1.0 / nullif(
            case when trust_score is null then 0 else 1 end
            + case when preference_score is null then 0 else 1 end
            + case when repurchase_intent_score is null then 0 else 1 end,
            0
        ) as attitudinal_score
    from latest

)

select * from scored
