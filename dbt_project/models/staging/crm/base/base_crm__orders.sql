{#-
    Raw orders, each row judged once (macros/judge_raw_rows.sql; the checks:
    base_crm__orders.yml). A later updated_at supersedes an earlier version.
    Incremental: besides the keys of new rows, a run judges again the rows
    whose customer check would now come out differently and the rows that
    were in the future.
-#}
{#- On Spark a full rebuild every run (Parquet tables: no delete, no merge; docs/spark.md). -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='order_key'
) }}

{%- set checks -%}
    {{ missing(['order_id', 'customer_id', 'ordered_at', 'status']) }}
    {{ unparsable(['ordered_at', 'updated_at']) }}
    when status not in ('completed', 'cancelled', 'returned') then 'unknown_status'
    {{ in_future(['ordered_at', 'updated_at']) }}
    when not is_valid_customer_id then 'unknown_customer'
{%- endset -%}

{%- set keys_to_revisit -%}
    {{ keys_whose_parent_check_changed('customer_id', 'base_crm__customers', 'unknown_customer') }}
    union
    select order_key
    from judged_before
    where quarantine_reason in ('future_ordered_at', 'future_updated_at')
{%- endset -%}

{{ judge_raw_rows(
    'orders',
    key='order_id',
    checks=checks,
    parents={'customer_id': 'base_crm__customers'},
    latest_version_by='coalesce(updated_at, ordered_at)',
    keys_to_revisit=keys_to_revisit,
) }}
