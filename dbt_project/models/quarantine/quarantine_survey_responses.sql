{#- Raw survey response rows that failed a check, one row each with its reason (quarantine_survey_responses.yml). -#}
{{ quarantined_rows('survey_responses') }}
