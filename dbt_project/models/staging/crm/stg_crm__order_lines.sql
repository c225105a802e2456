{#-
    One row per valid order line, typed (macros/staged_valid_rows.sql); an
    empty discount is 0, an empty unit cost is 0 and flagged.
-#}
{{ config(materialized='view') }}
{{ staged_valid_rows(
    'order_lines',
    replace={'unit_cost': 'coalesce(unit_cost, 0)', 'discount_amount': 'coalesce(discount_amount, 0)'},
    add={'is_unit_cost_missing': 'unit_cost is null', 'refreshed_at': 'refreshed_at'},
) }}
