{#- One row per valid product, typed (macros/staged_valid_rows.sql). -#}
{{ staged_valid_rows('products') }}
