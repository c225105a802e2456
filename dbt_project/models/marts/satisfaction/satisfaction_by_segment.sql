{#-
    CSAT and NPS by survey month and segment: loyalty class, lifecycle
    status, ladder stage and customer type (each customer's as of the as-of
    date), plus 'all'. Each customer is unpivoted into one row per segment
    dimension, so one aggregation serves them all.

    A satisfied response (CSAT >= var csat_satisfied_min) did not come back
    when the customer has no purchase day in the var
    satisfied_return_window_days days after the response day; a response
    whose window is not over by the as-of date is not judged yet.
-#}
with

{{ import_models({
    'survey_responses': 'stg_crm__survey_responses', 'customers': 'stg_crm__customers',
    'loyalty': 'int_customers_loyalty_classified', 'lifecycle': 'int_customers_lifecycle_assessed',
    'purchase_days': 'int_customer_purchase_days', 'as_of': 'int_as_of_date'
}) }},

customer_segments as (

    select
        customer_id,
        'all' as segment_dimension,
        'all' as segment_value
    from customers

    union all

    select
        customer_id,
        'loyalty_class' as segment_dimension,
        loyalty_class as segment_value
    from loyalty

    union all

    select
        customer_id,
        'loyalty_ladder_stage' as segment_dimension,
        loyalty_ladder_stage as segment_value
    from loyalty

    union all

    select
        customer_id,
        'lifecycle_status' as segment_dimension,
        lifecycle_status as segment_value
    from lifecycle

    union all

    select
        customer_id,
        'customer_type' as segment_dimension,
        customer_type as segment_value
    from customers

),

responses_in_scope as (

    select
        survey_responses.response_id,
        survey_responses.customer_id,
        cast(survey_responses.responded_at as date) as responded_date,
        survey_responses.csat_score,
        survey_responses.nps_score,
        coalesce(survey_responses.csat_score >= {{ var('csat_satisfied_min') }}, false) as is_satisfied,
        {{ dbt.dateadd('day', var('satisfied_return_window_days'), 'cast(survey_responses.responded_at as date)') }}
        <= as_of.as_of_date as is_return_window_over
    from survey_responses
    cross join as_of
    where cast(survey_responses.responded_at as date) <= as_of.as_of_date

),

returns_after_response as (

    select
        responses_in_scope.response_id,
        count(purchase_days.purchase_date) > 0 as has_come_back
    from responses_in_scope
    left join purchase_days
        on responses_in_scope.customer_id = purchase_days.customer_id
        and responses_in_scope.responded_date < purchase_days.purchase_date
        and {{ dbt.dateadd(
            'day', var('satisfied_return_window_days'), 'responses_in_scope.responded_date'
        ) }} >= purchase_days.purchase_date
    where responses_in_scope.is_satisfied and responses_in_scope.is_return_window_over
    group by responses_in_scope.response_id

),

responses_by_segment as (

    select
        cast({{ dbt.date_trunc('month', 'responses_in_scope.responded_date') }} as date) as survey_month,
        customer_segments.segment_dimension,
        customer_segments.segment_value,
        responses_in_scope.customer_id,
        responses_in_scope.csat_score,
        responses_in_scope.nps_score,
        returns_after_response.has_come_back
    from responses_in_scope
    inner join customer_segments
        on responses_in_scope.customer_id = customer_segments.customer_id
    left join returns_after_response
        on responses_in_scope.response_id = returns_after_response.response_id

),

aggregated as (

    select
        survey_month,
        segment_dimension,
        segment_value,
        {{ survey_answer_counts() }},
        count(has_come_back) as count_satisfied_judged,
        sum(case when not has_come_back then 1 else 0 end) as count_satisfied_not_returned
    from responses_by_segment
    group by survey_month, segment_dimension, segment_value

),

final as (

    select
        survey_month,
        segment_dimension,
        segment_value,
        cast(count_responses as integer) as count_responses,
        cast(count_respondents as integer) as count_respondents,
        cast(count_csat_answers as integer) as count_csat_answers,
        cast(avg_csat_score as double) as avg_csat_score,
        cast(count_satisfied as integer) as count_satisfied,
        cast(count_satisfied as double) / nullif(count_csat_answers, 0)
            as csat_satisfied_share,
        cast(count_nps_answers as integer) as count_nps_answers,
        cast(count_promoters as integer) as count_promoters,
        cast(count_detractors as integer) as count_detractors,
        cast(
            100.0 * cast(count_promoters - count_detractors as double) / nullif(count_nps_answers, 0)
            as double
        ) as net_promoter_score,
        cast(count_satisfied_judged as integer) as count_satisfied_judged,
        cast(coalesce(count_satisfied_not_returned, 0) as integer) as count_satisfied_not_returned,
        cast(
            cast(count_satisfied_not_returned as double) / nullif(count_satisfied_judged, 0) as double
        ) as satisfied_not_returned_share
    from aggregated

)

select * from final
