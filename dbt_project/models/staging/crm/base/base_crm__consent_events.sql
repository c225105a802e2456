{#-
    Raw consent events, each row judged once (macros/judge_raw_rows.sql; the
    checks: base_crm__consent_events.yml). Consent is read through the seed
    consent_spellings; offset-free times are local time in var
    consent_source_time_zone (meta.time_zone in the sources YAML); a source clock may run var
    consent_clock_skew_minutes ahead of this run.
-#}
{%- set checks -%}
    {{ missing(['consent_event_id', 'customer_id', 'recorded_at']) }}
    {{ unparsable(['recorded_at']) }}
    when consent is null then 'invalid_consent'
    {{ in_future(['recorded_at'], var('consent_clock_skew_minutes')) }}
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'consent_events',
    key='consent_event_id',
    checks=checks,
    parents={'customer_id': 'base_crm__customers'},
    spellings={'seed': 'consent_spellings', 'columns': {'consent': 'consent'}},
) }}
