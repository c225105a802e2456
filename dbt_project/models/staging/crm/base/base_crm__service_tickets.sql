{#- Raw service tickets, each row judged once (macros/judge_raw_rows.sql; checks: base_crm__service_tickets.yml). -#}
{%- set checks -%}
    {{ missing(['ticket_id', 'customer_id', 'opened_at', 'category']) }}
    {{ unparsable(['opened_at', 'first_responded_at', 'resolved_at']) }}
    when category not in ('complaint', 'inquiry', 'repair') then 'unknown_category'
    when first_responded_at < opened_at then 'responded_before_opened'
    when resolved_at < opened_at then 'resolved_before_opened'
    {{ in_future(['opened_at']) }}
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{{ judge_raw_rows(
    'service_tickets', key='ticket_id', checks=checks, parents={'customer_id': 'base_crm__customers'}
) }}
