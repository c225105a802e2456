{#-
    One row per valid order: the latest version of each order_id, typed
    (macros/staged_valid_rows.sql).
-#}
{{ config(materialized='view') }}
{{ staged_valid_rows(
    'orders',
    replace={'updated_at': 'coalesce(updated_at, ordered_at)'},
    add={'refreshed_at': 'refreshed_at'},
) }}
