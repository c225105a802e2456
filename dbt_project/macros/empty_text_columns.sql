{#- Text columns holding null, one per name: the columns of an empty relation. -#}
{% macro empty_text_columns(names) -%}
    {%- for name in names %}
    cast(null as {{ dbt.type_string() }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
