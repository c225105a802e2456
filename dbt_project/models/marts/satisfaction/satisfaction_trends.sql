{#-
    Satisfaction and NPS over time and by segment, one row per survey month
    and value tier, plus tier 'all'. A customer counts in their value tier
    as of the as-of date.
      CSAT satisfied share = answers >= var csat_satisfied_min / CSAT answers
      NPS = 100 x (promoters - detractors) / NPS answers
-#}
with

{{ import_models({
    'survey_responses': 'stg_crm__survey_responses', 'segment_tiers': 'customer_segment_tier',
    'as_of': 'int_as_of_date'
}) }},

responses_with_tier as (

    select
        cast({{ dbt.date_trunc('month', 'survey_responses.responded_at') }} as date) as survey_month,
        segment_tiers.value_tier,
        survey_responses.customer_id,
        survey_responses.csat_score,
        survey_responses.nps_score
    from survey_responses
    inner join segment_tiers
        on survey_responses.customer_id = segment_tiers.customer_id
    cross join as_of
    where cast(survey_responses.responded_at as date) <= as_of.as_of_date

),

by_tier_and_all as (

    select
        survey_month,
        value_tier,
        customer_id,
        csat_score,
        nps_score
    from responses_with_tier

    union all

    select
        survey_month,
        'all' as value_tier,
        customer_id,
        csat_score,
        nps_score
    from responses_with_tier

),

aggregated as (

    select
        survey_month,
        value_tier,
        {{ survey_answer_counts() }},
        sum(case
            when nps_score > {{ var('nps_detractor_max') }}
                and nps_score < {{ var('nps_promoter_min') }}
                then 1
            else 0
        end) as count_passives
    from by_tier_and_all
    group by survey_month, value_tier

),

final as (

    select
        survey_month,
        value_tier,
        cast(count_responses as integer) as count_responses,
        cast(count_respondents as integer) as count_respondents,
        cast(count_csat_answers as integer) as count_csat_answers,
        cast(avg_csat_score as double) as avg_csat_score,
        cast(count_satisfied as double) / nullif(count_csat_answers, 0)
            as csat_satisfied_share,
        cast(count_nps_answers as integer) as count_nps_answers,
        cast(count_promoters as integer) as count_promoters,
        cast(count_passives as integer) as count_passives,
        cast(count_detractors as integer) as count_detractors,
        cast(
            100.0 * cast(count_promoters - count_detractors as double) / nullif(count_nps_answers, 0)
            as double
        ) as net_promoter_score
    from aggregated

)

select * from final
