{#-
    The survey aggregates satisfaction marts share, over rows of
    survey_responses (customer_id, csat_score, nps_score) in a grouped query:
    responses, respondents, CSAT answers, average and satisfied
    (var csat_satisfied_min), NPS answers, promoters (var nps_promoter_min)
    and detractors (var nps_detractor_max).
-#}
{% macro survey_answer_counts() -%}
    count(*) as count_responses,
    count(distinct customer_id) as count_respondents,
    count(csat_score) as count_csat_answers,
    avg(cast(csat_score as double)) as avg_csat_score,
    sum(case when csat_score >= {{ var('csat_satisfied_min') }} then 1 else 0 end) as count_satisfied,
    count(nps_score) as count_nps_answers,
    sum(case when nps_score >= {{ var('nps_promoter_min') }} then 1 else 0 end) as count_promoters,
    sum(case when nps_score <= {{ var('nps_detractor_max') }} then 1 else 0 end) as count_detractors
{%- endmacro %}
