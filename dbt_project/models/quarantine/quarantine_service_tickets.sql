{#- Raw service_tickets rows that failed a check: one row each, with the reason (see quarantine_service_tickets.yml). -#}
{{ quarantined_rows('service_tickets') }}
