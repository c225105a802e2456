{#- Raw customers rows that failed a check: one row each, with the reason (see quarantine_customers.yml). -#}
{{ quarantined_rows('customers') }}
