{#- Raw suppressions, each row judged once (macros/judge_raw_rows.sql; the checks: base_crm__suppressions.yml). -#}
{%- set checks -%}
    {{ missing(['suppression_id', 'customer_id', 'suppressed_at']) }}
    {{ unparsable(['suppressed_at', 'lifted_at']) }}
    when reason is null or reason not in ('do_not_contact', 'bounced', 'complaint_handling')
        then 'unknown_reason'
    when lifted_at < suppressed_at then 'lifted_before_suppressed'
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'suppressions', key='suppression_id', checks=checks, parents={'customer_id': 'base_crm__customers'}
) }}
