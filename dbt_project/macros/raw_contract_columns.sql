{#-
    The raw data contract as declared in models/staging/crm/_crm__sources.yml,
    read from the graph at execute time.

    raw_contract_columns('crm', 'orders')
        -> [{'name': ..., 'data_type': ..., 'is_required': ..., 'is_code': ...,
             'time_zone': ...}, ...]
    time_zone: the time zone of the column's offset-free timestamps (the value
    of the dbt var its meta.time_zone names), or none for UTC.
    in the order the YAML lists them. Empty while dbt parses (execute is false).
-#}
{% macro raw_contract_columns(source_name, table_name) %}
    {%- set contract_columns = [] -%}
    {%- if not execute -%}
        {{ return(contract_columns) }}
    {%- endif -%}
    {%- set source_node = raw_contract_source_node(source_name, table_name) -%}
    {%- for column in source_node.columns.values() -%}
        {%- set column_meta = column.get('meta') or {} -%}
        {%- set column_config_meta = (column.get('config') or {}).get('meta') or {} -%}
        {%- set time_zone_var = column_meta.get('time_zone') or column_config_meta.get('time_zone') -%}
        {%- do contract_columns.append({
            'name': column.name | lower,
            'data_type': column.data_type,
            'is_required': (column_meta.get('required') or column_config_meta.get('required') or false) is true,
            'is_code': (column_meta.get('code') or column_config_meta.get('code') or false) is true,
            'time_zone': var(time_zone_var) if time_zone_var else none,
        }) -%}
    {%- endfor -%}
    {{ return(contract_columns) }}
{% endmacro %}


{% macro raw_contract_source_node(source_name, table_name) %}
    {%- for source_node in graph.sources.values() -%}
        {%- if source_node.package_name == project_name
            and source_node.source_name == source_name
            and source_node.name == table_name -%}
            {{ return(source_node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "Source " ~ source_name ~ "." ~ table_name ~ " is not declared in the raw data contract "
        ~ "(models/staging/" ~ source_name ~ "/_" ~ source_name ~ "__sources.yml)."
    ) }}
{% endmacro %}


{#-
    The select list of a base model's import CTE: every contract column of the
    table, in contract order, as text straight from the raw relation. An
    optional column that the export does not carry at all becomes a null, so a
    company export without e.g. `city` still builds; a missing required column
    never gets this far (assert_raw_contract stops the run first).

    In a dbt unit test the source is a mocked CTE that carries every column,
    so the contract list is used as is.
-#}
{% macro raw_columns(source_name, table_name) %}
    {%- set contract_columns = raw_contract_columns(source_name, table_name) -%}
    {%- set present_columns = raw_relation_column_names(source_name, table_name) -%}
    {%- set select_list = [] -%}
    {%- for column in contract_columns -%}
        {%- if present_columns is none or column.name in present_columns -%}
            {%- do select_list.append(column.name) -%}
        {%- else -%}
            {%- do select_list.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(select_list | join(',\n        ')) }}
{% endmacro %}


{#-
    The file a raw row came from: DuckDB's `filename` column when the raw
    relation has one (files read with filename = true), null elsewhere.
-#}
{% macro raw_source_file(source_name, table_name) %}
    {%- set present_columns = raw_relation_column_names(source_name, table_name) -%}
    {%- if present_columns is not none and 'filename' in present_columns -%}
        {{ return('filename') }}
    {%- endif -%}
    {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
{% endmacro %}


{#-
    Lower-cased column names of the raw relation behind source(source_name,
    table_name), or none when they cannot be known: while parsing, and inside
    a unit test (where source() is a mocked CTE).
-#}
{% macro raw_relation_column_names(source_name, table_name) %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if relation.is_cte -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set column_names = get_columns_in_query('select * from ' ~ relation) -%}
    {{ return(column_names | map('lower') | list) }}
{% endmacro %}
