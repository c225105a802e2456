{#-
    The body of a quarantine model: the raw rows of one source table that
    failed a check, as the export had them (raw_<column> text), with the
    reason and the file they came from; a line the CSV reader could not
    parse has its line number and text instead (source_line_number,
    raw_line). Exact duplicates and superseded versions are not quarantined
    (the base model counts them).
-#}
{% macro quarantined_rows(table_name, source_name='crm') -%}
with

base as (

    select * from {{ ref('base_' ~ source_name ~ '__' ~ table_name) }}

),

final as (

    select
        quarantine_reason,
        source_file,
        source_line_number
        {%- for column in raw_contract_columns(source_name, table_name) %},
        raw_{{ column.name }}
        {%- endfor %},
        raw_line
    from base
    where row_status = 'quarantined'

)

select * from final
{%- endmacro %}
