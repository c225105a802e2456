{#- Raw consent_events rows that failed a check: one row each, with the reason (see quarantine_consent_events.yml). -#}
{{ quarantined_rows('consent_events') }}
