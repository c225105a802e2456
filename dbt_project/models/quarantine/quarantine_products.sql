{#- Raw products rows that failed a check: one row each, with the reason (see quarantine_products.yml). -#}
{{ quarantined_rows('products') }}
