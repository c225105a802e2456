{#-
    The raw tables of source `crm`, in one place for the models and tests that
    loop over all of them (raw_row_reconciliation, assert_raw_rows_reconcile).
    A literal list, not read from the graph, because the refs built from it
    must be known while dbt parses. Keep it in step with _crm__sources.yml.
-#}
{% macro raw_tables() -%}
    {{ return([
        'customers', 'orders', 'order_lines', 'products', 'survey_responses', 'service_tickets',
        'consent_events', 'suppressions',
    ]) }}
{%- endmacro %}
