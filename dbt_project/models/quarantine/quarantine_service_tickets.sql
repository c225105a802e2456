{#- Raw service ticket rows that failed a check, one row each with its reason (quarantine_service_tickets.yml). -#}
{{ quarantined_rows('service_tickets') }}
