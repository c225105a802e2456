{#-
    The raw data contract check (on-run-start in dbt_project.yml).

    Before any model runs, every raw table of source `crm` that this run will
    read must carry every column its contract marks `meta.required: true`.
    A table is read when a selected node (model or test) selects from it, so
    `dbt build --select marts` on an already built warehouse, `dbt seed` and
    unit tests (which mock their sources) do not need the raw files.

    On DuckDB the raw tables are files (the source's external_location):
    every file matching the table's pattern is checked on its own (its header
    row read with the folder's dialect, macros/read_raw_files.sql), since
    each file is read with its own columns and one file of `orders*.csv`
    without `customer_id` would otherwise only show up as nulls. Elsewhere the raw table's columns are read
    from the warehouse.

    All problems are collected and raised together as a compilation error
    while dbt compiles the hook, i.e. before any node runs: dbt prints
    "Compilation Error in operation loyalty_marts-on-run-start-0" with the
    message, runs nothing and exits with code 2.
-#}
{% macro assert_raw_contract(source_name='crm') %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for table_name in raw_contract_tables_to_check(source_name) -%}
        {%- set required_columns = [] -%}
        {%- for column in raw_contract_columns(source_name, table_name) if column.is_required -%}
            {%- do required_columns.append(column.name) -%}
        {%- endfor -%}
        {%- do problems.extend(raw_contract_problems(source_name, table_name, required_columns)) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Raw data contract check failed:\n  - " ~ (problems | join("\n  - "))
            ~ "\nAdd the column(s) or file(s) to the export; docs/raw-data-contract.md lists the columns"
            ~ " (the contract is models/staging/" ~ source_name ~ "/_" ~ source_name ~ "__sources.yml)."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{#- Names of the tables of the source that a selected node reads directly. -#}
{% macro raw_contract_tables_to_check(source_name) %}
    {%- set selected = selected_resources or [] -%}
    {%- set read_source_ids = [] -%}
    {%- for node in graph.nodes.values() if node.unique_id in selected -%}
        {%- do read_source_ids.extend(node.depends_on.nodes) -%}
    {%- endfor -%}
    {%- set table_names = [] -%}
    {%- for source_node in graph.sources.values() -%}
        {%- if source_node.package_name == project_name
            and source_node.source_name == source_name
            and (not selected or source_node.unique_id in read_source_ids) -%}
            {%- do table_names.append(source_node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(table_names | sort) }}
{% endmacro %}


{#-
    Problems (one message each) for one raw table: the table is missing, or
    a required column is missing from it.
-#}
{% macro raw_contract_problems(source_name, table_name, required_columns) %}
    {{ return(adapter.dispatch('raw_contract_problems', 'loyalty_marts')(source_name, table_name, required_columns)) }}
{% endmacro %}


{% macro default__raw_contract_problems(source_name, table_name, required_columns) %}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set relation = adapter.get_relation(
        database=source_relation.database,
        schema=source_relation.schema,
        identifier=source_relation.identifier,
    ) -%}
    {%- if relation is none -%}
        {{ return([
            "Raw table " ~ source_relation ~ " (source " ~ source_name ~ "." ~ table_name ~ ") does not exist."
        ]) }}
    {%- endif -%}
    {%- set present_columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set missing_columns = required_columns | reject('in', present_columns) | list -%}
    {%- if missing_columns -%}
        {{ return([
            "Raw table " ~ relation ~ " (source " ~ source_name ~ "." ~ table_name
            ~ ") is missing required column(s): " ~ (missing_columns | join(', ')) ~ "."
        ]) }}
    {%- endif -%}
    {{ return([]) }}
{% endmacro %}


{% macro duckdb__raw_contract_problems(source_name, table_name, required_columns) %}
    {%- set location = source(source_name, table_name).external -%}
    {%- set reader_call = modules.re.search("(read_csv|read_parquet)\\s*\\(\\s*'([^']+)'", location or '') -%}
    {%- if reader_call is none -%}
        {{ return(default__raw_contract_problems(source_name, table_name, required_columns)) }}
    {%- endif -%}
    {%- set reader, file_pattern = reader_call.group(1), reader_call.group(2) -%}
    {{ return(raw_files_contract_problems(source_name, table_name, required_columns, reader, file_pattern)) }}
{% endmacro %}


{#- On Spark the raw tables are the files too (macros/read_raw_files_spark.sql). -#}
{% macro spark__raw_contract_problems(source_name, table_name, required_columns) %}
    {%- set file_format = 'parquet' if raw_files_are_parquet() else 'csv' -%}
    {{ return(raw_files_contract_problems(
        source_name, table_name, required_columns,
        'read_' ~ file_format, raw_file_pattern(table_name, file_format)
    )) }}
{% endmacro %}


{#-
    Problems of a raw table read from the files matching file_pattern in the
    raw folder: no file, or a file without a required column (its header
    read with the folder's dialect; reader: read_csv or read_parquet).
-#}
{% macro raw_files_contract_problems(source_name, table_name, required_columns, reader, file_pattern) %}
    {%- set matching_files = raw_file_paths(file_pattern) -%}
    {%- if matching_files | length == 0 -%}
        {%- set raw_folder = env_var('LOYALTY_RAW_DIR', '../seeds/sample') -%}
        {{ return([
            "No raw file for source " ~ source_name ~ "." ~ table_name ~ ": nothing matches "
            ~ file_pattern ~ " in " ~ (raw_folder or "the working directory")
            ~ " (check LOYALTY_RAW_DIR and the var raw_file_format)."
        ]) }}
    {%- endif -%}

    {%- set problems = [] -%}
    {%- set dialect = raw_csv_dialect() if reader == 'read_csv' else none -%}
    {%- set contract_columns = raw_contract_columns(source_name, table_name) | map(attribute='name') | list -%}
    {%- for file_path in matching_files -%}
        {%- if dialect -%}
            {%- set file_columns = raw_csv_header(
                raw_readable_file(file_path), dialect, contract_columns
            ) | map('lower') | list -%}
        {%- else -%}
            {%- set file_columns = raw_parquet_column_names(file_path) -%}
        {%- endif -%}
        {%- set missing_columns = required_columns | reject('in', file_columns) | list -%}
        {%- if missing_columns -%}
            {%- do problems.append(
                "Raw file " ~ file_path ~ " (source " ~ source_name ~ "." ~ table_name
                ~ ") is missing required column(s): " ~ (missing_columns | join(', ')) ~ "."
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}


{#- The lower-cased column names of a Parquet file. -#}
{% macro raw_parquet_column_names(file_path) %}
    {{ return(adapter.dispatch('raw_parquet_column_names', 'loyalty_marts')(file_path)) }}
{% endmacro %}

{% macro duckdb__raw_parquet_column_names(file_path) %}
    {{ return(run_query(
        "describe select * from read_parquet(" ~ raw_sql_text(file_path) ~ ")"
    ).columns[0].values() | map('lower') | list) }}
{% endmacro %}

{% macro spark__raw_parquet_column_names(file_path) %}
    {{ return(spark_parquet_column_names(file_path).keys() | list) }}
{% endmacro %}
