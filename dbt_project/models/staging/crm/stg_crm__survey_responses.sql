{#- One row per valid survey response, typed (macros/staged_valid_rows.sql). -#}
{{ staged_valid_rows('survey_responses') }}
