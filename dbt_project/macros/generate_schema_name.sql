{#-
    Plain schema names: a model configured with +schema: marts lands in
    schema `marts`, not `<target schema>_marts` (dbt's default). Models
    without a custom schema land in the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
