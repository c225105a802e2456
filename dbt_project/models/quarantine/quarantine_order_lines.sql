{#- Raw order_lines rows that failed a check: one row each, with the reason (see quarantine_order_lines.yml). -#}
{{ quarantined_rows('order_lines') }}
