{#-
    on-run-start: the contact history the campaign wave appends to
    (orchestration/campaigns/selection.py) must exist before campaign_effect
    reads it, also on a fresh warehouse where no wave has run yet.
-#}
{% macro create_contact_history_table() %}
    {%- if execute -%}
        {% do run_query("create schema if not exists campaigns") %}
        {% do run_query(
            "create table if not exists campaigns.contact_history ("
            ~ "campaign " ~ dbt.type_string() ~ ", wave_date date, customer_id " ~ dbt.type_string()
            ~ ", assignment " ~ dbt.type_string() ~ ", priority " ~ dbt.type_int() ~ ")"
        ) %}
    {%- endif -%}
{% endmacro %}
