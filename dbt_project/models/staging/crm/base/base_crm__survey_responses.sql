{#- Raw survey responses, each row judged once (macros/judge_raw_rows.sql; checks: base_crm__survey_responses.yml). -#}
{%- set checks -%}
    {{ missing(['response_id', 'customer_id', 'responded_at']) }}
    {{ unparsable(['responded_at', 'csat_score', 'nps_score']) }}
    when (trust_score is null and not {{ is_blank('raw_trust_score') }})
        or (preference_score is null and not {{ is_blank('raw_preference_score') }})
        or (repurchase_intent_score is null and not {{ is_blank('raw_repurchase_intent_score') }})
        then 'unparsable_likert_score'
    when csat_score not between 1 and 5 then 'csat_out_of_range'
    when nps_score not between 0 and 10 then 'nps_out_of_range'
    when trust_score not between 1 and 5
        or preference_score not between 1 and 5
        or repurchase_intent_score not between 1 and 5
        then 'likert_out_of_range'
    {{ in_future(['responded_at']) }}
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'survey_responses', key='response_id', checks=checks, parents={'customer_id': 'base_crm__customers'}
) }}
