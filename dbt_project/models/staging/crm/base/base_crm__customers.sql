{#-
    Raw customers, each row judged once (macros/judge_raw_rows.sql; the
    checks: base_crm__customers.yml). Marketing consent is read through the
    seed consent_spellings.
-#}
{%- set checks -%}
    {{ missing(['customer_id', 'created_at', 'customer_type']) }}
    {{ unparsable(['created_at', 'birth_year', 'is_vip_member', 'marketing_consent_at']) }}
    when customer_type not in ('consumer', 'buyer', 'business', 'intermediary', 'agent')
        then 'unknown_customer_type'
    when marketing_consent is null and not {{ is_blank('raw_marketing_consent') }}
        then 'invalid_marketing_consent'
    when birth_year not between 1900 and {{ run_started_at.year }} then 'invalid_birth_year'
    {{ in_future(['created_at', 'marketing_consent_at']) }}
{%- endset -%}

{{ judge_raw_rows(
    'customers',
    key='customer_id',
    checks=checks,
    spellings={'seed': 'consent_spellings', 'columns': {'marketing_consent': 'consent'}},
) }}
