{#-
    The body of a staging model (models/staging/crm/stg_crm__<table>.sql):
    the valid rows of the table's base model, one per key, with the raw
    contract's columns as the base model typed them, in contract order.

      replace  {column: expression}: the expression stands in the column's
               place under its name (a default for an empty value, say);
      exclude  columns left out (personal data);
      add      {column: expression}: columns appended after the contract's.
-#}
{% macro staged_valid_rows(table_name, replace={}, exclude=[], add={}, source_name='crm') %}
with

base as (

    select * from {{ ref('base_' ~ source_name ~ '__' ~ table_name) }}
    where row_status = 'valid'

),

final as (

    select
        {%- set columns = [] -%}
        {%- for column in raw_contract_columns(source_name, table_name) if column.name not in exclude -%}
            {%- do columns.append(replace[column.name] ~ ' as ' ~ column.name if column.name in replace else column.name) -%}
        {%- endfor -%}
        {%- for name, expression in add.items() -%}
            {%- do columns.append(expression ~ ' as ' ~ name if expression != name else name) -%}
        {%- endfor %}
        {{ columns | join(',\n        ') }}
    from base

)

select * from final
{%- endmacro %}
