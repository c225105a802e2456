{#- Raw consent events, each row judged once (macros/judge_raw_rows.sql; the checks: base_crm__consent_events.yml). -#}
{%- set checks -%}
    {{ missing(['consent_event_id', 'customer_id', 'recorded_at']) }}
    {{ unparsable(['recorded_at']) }}
    when consent is null or consent not in ('opt_in', 'opt_out') then 'invalid_consent'
    {{ in_future(['recorded_at']) }}
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'consent_events', key='consent_event_id', checks=checks, parents={'customer_id': 'base_crm__customers'}
) }}
