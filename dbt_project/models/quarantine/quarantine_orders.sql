{#- Raw orders rows that failed a check: one row each, with the reason (see quarantine_orders.yml). -#}
{{ quarantined_rows('orders') }}
