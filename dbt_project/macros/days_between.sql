{#- Whole calendar days from one date (or timestamp) to another. -#}
{% macro days_between(start_expression, end_expression) -%}
    {{ dbt.datediff('cast(' ~ start_expression ~ ' as date)', 'cast(' ~ end_expression ~ ' as date)', 'day') }}
{%- endmacro %}
