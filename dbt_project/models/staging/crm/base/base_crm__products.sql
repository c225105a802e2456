{#- Raw products, each row judged once (macros/judge_raw_rows.sql; the checks: base_crm__products.yml). -#}
{%- set checks -%}
    {{ missing(['product_id', 'category']) }}
    {{ unparsable(['launched_date', 'usage_cycle_days']) }}
    when usage_cycle_days <= 0 then 'invalid_usage_cycle_days'
{%- endset -%}

{{ judge_raw_rows('products', key='product_id', checks=checks) }}
