{#- One row per valid suppression, typed (macros/staged_valid_rows.sql). -#}
{{ staged_valid_rows('suppressions') }}
