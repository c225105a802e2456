{#- One row per valid service ticket, typed (macros/staged_valid_rows.sql). -#}
{{ staged_valid_rows('service_tickets') }}
