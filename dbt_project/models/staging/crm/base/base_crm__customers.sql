{#-
    Raw customers, each row judged once (macros/judge_raw_rows.sql; the
    checks: base_crm__customers.yml). Marketing consent is read through the
    seed consent_spellings, and an offset-free marketing_consent_at as local
    time in var consent_source_time_zone (meta.time_zone in the sources
    YAML), like every other consent answer (the consent is the latest answer
    of all sources, so all are read on one clock). Incremental, like orders:
    besides the keys of new rows, a run judges again the rows whose verdict
    depends on the day the run starts (a timestamp in the future, a birth
    year after the current year).
-#}
{#- On Spark a full rebuild every run (Parquet tables: no delete, no merge; docs/spark.md). -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='customer_key'
) }}

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

{%- set keys_to_revisit -%}
    select customer_key
    from judged_before
    where quarantine_reason in ('invalid_birth_year', 'future_created_at', 'future_marketing_consent_at')
{%- endset -%}

{{ judge_raw_rows(
    'customers',
    key='customer_id',
    checks=checks,
    spellings={'seed': 'consent_spellings', 'columns': {'marketing_consent': 'consent'}},
    keys_to_revisit=keys_to_revisit,
) }}
