{#- One row per valid consent event, typed (macros/staged_valid_rows.sql). -#}
{{ staged_valid_rows('consent_events') }}
