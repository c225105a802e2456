{#-
    Raw suppressions, each row judged once (macros/judge_raw_rows.sql; the
    checks: base_crm__suppressions.yml). The reason is read through the seed
    consent_spellings; offset-free times are local time in var
    consent_source_time_zone (meta.time_zone in the sources YAML).
-#}
{%- set checks -%}
    {{ missing(['suppression_id', 'customer_id', 'suppressed_at']) }}
    {{ unparsable(['suppressed_at', 'lifted_at']) }}
    when reason is null then 'unknown_reason'
    when lifted_at < suppressed_at then 'lifted_before_suppressed'
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'suppressions',
    key='suppression_id',
    checks=checks,
    parents={'customer_id': 'base_crm__customers'},
    spellings={'seed': 'consent_spellings', 'columns': {'reason': 'suppression_reason'}},
) }}
