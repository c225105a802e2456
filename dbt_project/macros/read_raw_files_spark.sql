{#-
    Reading the raw files on Spark: the spark__ variants of the dispatched
    macros of macros/read_raw_files.sql, with the same results as on DuckDB
    (docs/spark.md). Parquet files (var raw_file_format: parquet) are read
    with Spark's Parquet reader, each file's columns matched by name and read
    as text; the rest of this note is about CSV.

    Spark's CSV reader gives no line numbers and drops or pads a line with a
    field too many or too few. So each file is read whole (binaryFile) and
    split into its lines, numbered from 1 (the header); each data line is
    judged as DuckDB's CSV reader judges it, with the same error types:
    bytes that are not UTF-8 (INVALID ENCODING), a quote left open (UNQUOTED
    VALUE), more or fewer fields than the header names (TOO MANY COLUMNS,
    MISSING COLUMNS); the other lines are parsed with from_csv in the
    folder's dialect, every value as text. Line by line, a quoted field may
    not hold a line break (DuckDB reads one); a file is read in one piece,
    so it must stay under Spark's 2 GB limit for one value.

    The base model's pre-hook runs its statements itself (Spark takes one
    statement at a time) and leaves temporary views of the session, which
    the model then reads as it reads DuckDB's temporary tables.
-#}


{#- A Spark SQL string literal (Spark reads backslashes in literals as escapes). -#}
{% macro spark_sql_text(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- A path as Spark's file sources report it (file:/...), as a plain path. -#}
{% macro spark_plain_path(expression) -%}
    regexp_replace({{ expression }}, '^file:(//)?', '')
{%- endmacro %}


{#-
    Files matching a pattern, sorted. Each folder is listed recursively with
    the name pattern as filter (so sub-folders never read as partitions),
    keeping the files directly in it; an absolute pattern lists its
    folder's parent, so a folder that does not exist yet matches nothing.
-#}
{% macro spark__raw_file_paths(pattern) %}
    {%- if pattern.startswith('/') -%}
        {%- set parts = pattern.rsplit('/', 1) -%}
        {%- set folders = [parts[0]] -%}
        {%- set name_pattern = parts[1] -%}
    {%- else -%}
        {%- set folders = [] -%}
        {%- for folder in env_var('LOYALTY_RAW_DIR', '../seeds/sample').split(',') if folder | trim -%}
            {%- do folders.append(folder | trim) -%}
        {%- endfor -%}
        {%- set name_pattern = pattern -%}
    {%- endif -%}
    {%- set paths = [] -%}
    {%- for folder in folders -%}
        {%- set folder = folder.rstrip('/') -%}
        {%- set listed = folder.rsplit('/', 1)[0] if pattern.startswith('/') else folder -%}
        {#- A view of its own per listing: models running side by side list other files. -#}
        {%- set view = 'raw_listing_' ~ local_md5(listed ~ '/' ~ name_pattern) -%}
        {%- do run_query(
            "create or replace temporary view " ~ view ~ " using binaryFile options (path "
            ~ spark_sql_text(listed or '/') ~ ", pathGlobFilter " ~ spark_sql_text(name_pattern)
            ~ ", recursiveFileLookup 'true')"
        ) -%}
        {%- set found = run_query(
            "select " ~ spark_plain_path('path') ~ " from " ~ view
        ).columns[0].values() -%}
        {%- for path in found -%}
            {%- set file_folder = path.rsplit('/', 1)[0] -%}
            {%- if file_folder == folder or file_folder.endswith('/' ~ folder.lstrip('./')) -%}
                {%- do paths.append(path) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(paths | sort) }}
{% endmacro %}


{% macro spark__raw_file_text(file_path) %}
    {{ return(run_query(
        "select cast(content as string) from binaryFile.`" ~ file_path ~ "`"
    ).columns[0].values()[0]) }}
{% endmacro %}


{% macro spark__raw_copy_is_current(file_path, copy) %}
    {%- if raw_file_paths(copy.copy_path) | length != 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set stats = run_query(
        "select copy.modificationTime >= original.modificationTime and original.length = "
        ~ copy.size_bytes ~ " from binaryFile.`" ~ file_path ~ "` as original"
        ~ " cross join binaryFile.`" ~ copy.copy_path ~ "` as copy"
    ) -%}
    {{ return(stats.columns[0].values()[0]) }}
{% endmacro %}


{% macro spark__raw_temp_table(table_name, kind) -%}
    raw_{{ table_name }}_{{ kind }}
{%- endmacro %}


{% macro spark__raise_error_function() -%}
    raise_error
{%- endmacro %}


{#- The first line of a file, without its line end and a byte order mark. -#}
{% macro spark_first_line(read_path) %}
    {%- set text = raw_file_text(read_path) or '' -%}
    {{ return(text.split('\n', 1)[0].rstrip('\r').lstrip('\ufeff')) }}
{% endmacro %}


{#-
    The column names of a file's header row: split at the delimiter, each
    name trimmed and unquoted (a header naming the contract's columns holds
    no delimiter inside a name).
-#}
{% macro spark__raw_csv_header(read_path, dialect, contract_columns) %}
    {%- if not dialect.header -%}
        {{ return(contract_columns) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for name in spark_first_line(read_path).split(dialect.delimiter) -%}
        {%- set name = name | trim -%}
        {%- if name.startswith(dialect.quote) and name.endswith(dialect.quote) and name | length > 1 -%}
            {%- set name = name[1:-1] -%}
        {%- endif -%}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{#- A regular expression (as a Spark literal) matching one quoted field of the dialect. -#}
{% macro spark_quoted_field_pattern(dialect) -%}
    {%- set quote = modules.re.escape(dialect.quote) -%}
    {%- set escape = modules.re.escape(dialect.escape) -%}
    {%- if dialect.escape == dialect.quote -%}
        {{ spark_sql_text(quote ~ '([^' ~ quote ~ ']|' ~ quote ~ quote ~ ')*' ~ quote) }}
    {%- else -%}
        {{ spark_sql_text(quote ~ '([^' ~ quote ~ escape ~ ']|' ~ escape ~ '.)*' ~ quote) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The lines of one raw file, judged and parsed: the contract columns as
    text (null when the file lacks the column), source_file,
    source_line_number, raw_line and error_type (DuckDB's name for why its
    reader rejects the line; null for a line read).
-#}
{% macro spark_raw_file_lines(file_path, read_path, dialect, contract_columns) %}
    {%- set header = raw_csv_header(read_path, dialect, contract_columns) -%}
    {%- set header_lower = header | map('lower') | list -%}
    {%- set width = header | length -%}
    {%- set schema = [] -%}
    {%- for position in range(width) -%}
        {%- do schema.append('c' ~ position ~ ' string') -%}
    {%- endfor -%}
    {%- set unquoted = 'regexp_replace(raw_line, ' ~ spark_quoted_field_pattern(dialect) ~ ', \'\')' -%}
    {%- set field_count = 'size(split(' ~ unquoted ~ ', '
        ~ spark_sql_text(modules.re.escape(dialect.delimiter)) ~ ', -1))' -%}
    select
        {%- for column in contract_columns %}
        {%- if column in header_lower %}
        case when error_type is null then fields.c{{ header_lower.index(column) }} end as {{ column }},
        {%- else %}
        cast(null as string) as {{ column }},
        {%- endif %}
        {%- endfor %}
        source_file,
        source_line_number,
        raw_line,
        error_type
    from (
        select
            *,
            case when error_type is null then from_csv(
                raw_line,
                {{ spark_sql_text(schema | join(', ')) }},
                map(
                    'sep', {{ spark_sql_text(dialect.delimiter) }},
                    'quote', {{ spark_sql_text(dialect.quote) }},
                    'escape', {{ spark_sql_text(dialect.escape) }}
                )
            ) end as fields
        from (
            select
                *,
                case
                    when instr(raw_line, '\uFFFD') > 0 then 'INVALID ENCODING'
                    when instr({{ unquoted }}, {{ spark_sql_text(dialect.quote) }}) > 0 then 'UNQUOTED VALUE'
                    when {{ field_count }} > {{ width }} then 'TOO MANY COLUMNS'
                    when {{ field_count }} < {{ width }} then 'MISSING COLUMNS'
                end as error_type
            from (
                select
                    {{ spark_sql_text(file_path) }} as source_file,
                    cast(position + 1 as bigint) as source_line_number,
                    regexp_replace(
                        case when position = 0 then regexp_replace(line, '^\uFEFF', '') else line end,
                        '\r$', ''
                    ) as raw_line
                from (
                    select cast(content as string) as file_text
                    from binaryFile.`{{ read_path }}`
                ) as raw_file
                lateral view posexplode(split(file_text, '\n', -1)) as position, line
            ) as numbered_lines
            where source_line_number > {{ 1 if dialect.header else 0 }} and raw_line <> ''
        ) as judged_lines
    ) as parsed_lines
{% endmacro %}


{#-
    The rows of one Parquet file as raw_<table>_lines holds them: each
    contract column the file has (matched by name, in any letter case) as
    text, null where it has none; no line numbers and no unreadable lines
    (a Parquet file is read whole or not at all).
-#}
{% macro spark_raw_parquet_rows(file_path, contract_columns) %}
    {%- set present = spark_parquet_column_names(file_path) -%}
    select
        {%- for column in contract_columns %}
        {{ 'cast(`' ~ present[column] ~ '` as string)' if column in present else 'cast(null as string)' }} as {{ column }},
        {%- endfor %}
        {{ spark_sql_text(file_path) }} as source_file,
        cast(null as bigint) as source_line_number,
        cast(null as string) as raw_line,
        cast(null as string) as error_type
    from parquet.`{{ file_path }}`
{% endmacro %}


{#- {lower-cased column name: the name as the Parquet file spells it}. -#}
{% macro spark_parquet_column_names(file_path) %}
    {%- set names = {} -%}
    {%- for name in run_query("select * from parquet.`" ~ file_path ~ "` limit 0").column_names -%}
        {%- do names.update({name | lower: name}) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{#-
    Pre-hook of every base model on Spark: the table's files (in an
    incremental run only those no earlier run has read) as the temporary
    views raw_<table>_rows and raw_<table>_unreadable_lines, then, for CSV,
    the encoding check of macros/read_raw_files.sql.
-#}
{% macro spark__read_raw_files(source_name, table_name) %}
    {%- if not reads_raw_files(source_name, table_name) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set contract_columns = raw_contract_columns(source_name, table_name) | map(attribute='name') | list -%}
    {%- set is_parquet = raw_files_are_parquet() -%}
    {%- set files_read = source_files_already_read(as_text=true) if is_incremental() else [] -%}
    {%- set all_files = raw_parquet_files(table_name) if is_parquet else raw_csv_files(table_name) -%}
    {%- set files = all_files | reject('in', files_read) | list -%}
    {%- set selects = [] -%}
    {%- set file_rows = [] -%}
    {%- if is_parquet -%}
        {%- for file_path in files -%}
            {%- do selects.append(spark_raw_parquet_rows(file_path, contract_columns)) -%}
        {%- endfor -%}
    {%- elif files -%}
        {%- set dialect = raw_csv_dialect() -%}
        {%- set copies = raw_utf8_copies() -%}
        {%- for file_path in files -%}
            {%- set read_path = raw_readable_file(file_path) -%}
            {%- do selects.append(spark_raw_file_lines(file_path, read_path, dialect, contract_columns)) -%}
            {%- do file_rows.append(
                '(' ~ spark_sql_text(file_path) ~ ', ' ~ spark_sql_text(read_path) ~ ', '
                ~ spark_sql_text(raw_one_line(raw_encoding_message_head(file_path, copies.get(file_path)))) ~ ', '
                ~ spark_sql_text(raw_one_line(raw_encoding_message_tail(file_path, copies.get(file_path)))) ~ ')'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set lines -%}
        {%- if selects -%}
        {{ selects | join('\nunion all\n') }}
        {%- else -%}
        select
            {%- for column in contract_columns %}
            cast(null as string) as {{ column }},
            {%- endfor %}
            cast(null as string) as source_file,
            cast(null as bigint) as source_line_number,
            cast(null as string) as raw_line,
            cast(null as string) as error_type
        where false
        {%- endif -%}
    {%- endset -%}
    {%- do run_query(
        "create or replace temporary view " ~ raw_temp_table(table_name, 'lines') ~ " as " ~ lines
    ) -%}
    {%- do run_query(
        "create or replace temporary view " ~ raw_temp_table(table_name, 'rows') ~ " as select "
        ~ (contract_columns | join(', ')) ~ ", source_file from " ~ raw_temp_table(table_name, 'lines')
        ~ " where error_type is null"
    ) -%}
    {%- do run_query(
        "create or replace temporary view " ~ raw_temp_table(table_name, 'unreadable_lines')
        ~ " as select source_file, source_line_number, error_type, raw_line from "
        ~ raw_temp_table(table_name, 'lines') ~ " where error_type is not null"
    ) -%}
    {%- if file_rows -%}
        {%- do run_query(
            "create or replace temporary view " ~ raw_temp_table(table_name, 'files')
            ~ " as select * from values " ~ (file_rows | join(', '))
            ~ " as files (source_file, read_path, message_head, message_tail)"
        ) -%}
        {%- do run_query(raw_encoding_check(table_name) | trim | trim(';')) -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{#-
    For raw_rows_reconcile on Spark: the data lines of the table's CSV files
    (every line after the header but empty ones), counted apart from the
    base model's reading; or the rows of its Parquet files.
-#}
{% macro spark__raw_file_row_count(source_name, table_name) %}
    {%- set counts = [] -%}
    {%- if raw_files_are_parquet() -%}
        {%- for file_path in raw_parquet_files(table_name) -%}
            {%- do counts.append("select count(*) as row_count from parquet.`" ~ file_path ~ "`") -%}
        {%- endfor -%}
    {%- else -%}
        {%- set first_line = 1 if raw_csv_dialect().header else 0 -%}
        {%- for file_path in raw_csv_files(table_name) -%}
            {%- do counts.append(
                "select count(*) as row_count from (select posexplode(split(regexp_replace("
                ~ "cast(content as string), '\\r', ''), '\\n', -1)) as (position, line) from binaryFile.`"
                ~ raw_readable_file(file_path) ~ "`) where line <> '' and position >= " ~ first_line
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not counts -%}
        {{ return(0) }}
    {%- endif -%}
    {#- One query for all the files. -#}
    {{ return(run_query(
        "select sum(row_count) from (" ~ (counts | join(" union all ")) ~ ") as file_counts"
    ).columns[0].values()[0]) }}
{% endmacro %}


{#- Each file through a temporary view of Spark's CSV reader (header row, every value as text). -#}
{% macro spark__csv_files_as_text(columns, pattern, file_paths) %}
    {%- set dialect = {'delimiter': ',', 'quote': '"', 'escape': '"', 'header': true} -%}
    {%- set selects = [] -%}
    {%- for file_path in file_paths -%}
        {%- set view = 'csv_file_' ~ local_md5(file_path) -%}
        {%- do run_query(
            "create or replace temporary view " ~ view ~ " using csv options (path "
            ~ spark_sql_text(file_path) ~ ", header 'true', escape '\"', inferSchema 'false')"
        ) -%}
        {%- set header = raw_csv_header(file_path, dialect, columns) | map('lower') | list -%}
        {%- set select_list = [] -%}
        {%- for column in columns -%}
            {%- do select_list.append(
                ('`' ~ column ~ '`' if column in header else 'cast(null as string)') ~ ' as ' ~ column
            ) -%}
        {%- endfor -%}
        {%- do selects.append('select ' ~ (select_list | join(', ')) ~ ' from ' ~ view) -%}
    {%- endfor -%}
    {%- if selects -%}
    {{ selects | join('\nunion all\n') }}
    {%- else -%}
    select
        {{ empty_text_columns(columns) }}
    where false
    {%- endif -%}
{% endmacro %}
