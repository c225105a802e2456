{#- Raw survey_responses rows that failed a check: one row each, with the reason (see quarantine_survey_responses.yml). -#}
{{ quarantined_rows('survey_responses') }}
