{#-
    Raw order lines, each row judged once (macros/judge_raw_rows.sql; the
    checks: base_crm__order_lines.yml). Incremental: besides the keys of new
    rows, a run judges again the lines of orders judged again since its last
    run and the lines whose product check would now come out differently.
-#}
{#- On Spark a full rebuild every run (Parquet tables: no delete, no merge; docs/spark.md). -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='order_line_key'
) }}

{%- set checks -%}
    {{ missing(['order_line_id', 'order_id', 'product_id', 'quantity', 'unit_price']) }}
    {{ unparsable(['quantity', 'unit_price', 'unit_cost', 'discount_amount']) }}
    when quantity <= 0 then 'non_positive_quantity'
    when unit_price < 0 then 'negative_unit_price'
    when unit_cost < 0 then 'negative_unit_cost'
    when discount_amount < 0 then 'negative_discount'
    when discount_amount > quantity * unit_price then 'discount_exceeds_line_total'
    when not is_known_order_id then 'unknown_order'
    when not is_valid_order_id then 'order_quarantined'
    when not is_valid_product_id then 'unknown_product'
{%- endset -%}

{%- set keys_to_revisit -%}
    select order_line_key
    from judged_before
    where order_id in (
        select order_id
        from {{ ref('base_crm__orders') }}
        where refreshed_at > {{ last_refreshed_at() }}
    )
    union
    {{ keys_whose_parent_check_changed('product_id', 'base_crm__products', 'unknown_product') }}
{%- endset -%}

{{ judge_raw_rows(
    'order_lines',
    key='order_line_id',
    checks=checks,
    parents={'order_id': 'base_crm__orders', 'product_id': 'base_crm__products'},
    keys_to_revisit=keys_to_revisit,
) }}
