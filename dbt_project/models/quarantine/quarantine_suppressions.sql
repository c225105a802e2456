{#- Raw suppressions rows that failed a check: one row each, with the reason (see quarantine_suppressions.yml). -#}
{{ quarantined_rows('suppressions') }}
