{#-
    Reading the raw CSV files on DuckDB (docs/raw-data-contract.md, "Files").

    The dialect is stated, never guessed: delimiter, quote, escape and header
    come from the vars raw_csv_* (dbt_project.yml), overridden by the file
    `loyalty_export.yml` in the raw folder when there is one. Each file is read
    on its own with its own header (so files of one table may order or leave
    out columns), every value as text, and with DuckDB's reject mechanism
    (store_rejects): a line the reader cannot parse (wrong number of fields,
    broken quoting, a truncated last line, bytes that are not UTF-8) does not
    fail the build but is kept, with its file, line number and the reader's
    error type, to become a quarantined row of the base model.

    A base model reads its files once, in its pre-hook (`read_raw_files`),
    into two temporary tables of its connection: the parsed rows and the
    unreadable lines. The model's SQL selects from them (`raw_file_rows`,
    `unreadable_raw_lines`).

    A file that is not UTF-8 (declared in loyalty_export.yml, or UTF-16 with
    a byte order mark) is read from the UTF-8 copy the orchestration makes
    before dbt runs (orchestration/raw_encodings.py), listed in the manifest
    of the folder LOYALTY_RAW_UTF8_DIR; the rows and unreadable lines still
    name the original file, and the copy keeps its line numbers. A file with
    more lines of bytes its encoding does not allow than the share that
    marks a broken export (var max_quarantined_share) stops the build with a
    message naming the file and the setting to declare or correct.
-#}

{#- The name of the folder's dialect file and the settings it may hold. -#}
{% macro raw_export_file_name() -%}
    {{ return('loyalty_export.yml') }}
{%- endmacro %}


{#-
    The CSV dialect of the raw folder: {delimiter, quote, escape, header},
    the vars' defaults overridden by loyalty_export.yml.
-#}
{% macro raw_csv_dialect() %}
    {%- set dialect = {
        'delimiter': var('raw_csv_delimiter'),
        'quote': var('raw_csv_quote'),
        'escape': var('raw_csv_escape'),
        'header': var('raw_csv_header'),
    } -%}
    {%- set settings = raw_export_settings() -%}
    {%- for name in dialect if name in settings -%}
        {%- do dialect.update({name: settings[name]}) -%}
    {%- endfor -%}
    {%- if dialect.header is not sameas true and dialect.header is not sameas false -%}
        {{ exceptions.raise_compiler_error(
            raw_export_file_name() ~ ": header must be true or false, not " ~ dialect.header ~ "."
        ) }}
    {%- endif -%}
    {{ return(dialect) }}
{% endmacro %}


{#- The settings of loyalty_export.yml in the raw folder, {} when there is none. -#}
{% macro raw_export_settings() %}
    {%- if not execute -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set found = raw_file_paths(raw_export_file_name()) -%}
    {%- if not found -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set text = raw_file_text(found[0]) -%}
    {%- set settings = fromyaml(text) or {} -%}
    {%- set known = ['delimiter', 'quote', 'escape', 'header', 'encoding', 'file_encodings'] -%}
    {%- set unknown = settings.keys() | reject('in', known) | list -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            found[0] ~ ": unknown setting(s) " ~ (unknown | join(', ')) ~ "; the file may set "
            ~ (known | join(', ')) ~ " (docs/raw-data-contract.md)."
        ) }}
    {%- endif -%}
    {{ return(settings) }}
{% endmacro %}


{#-
    True when the raw files are Parquet, false when CSV (var raw_file_format);
    any other value stops the build with a message.
-#}
{% macro raw_files_are_parquet() %}
    {%- set file_format = var('raw_file_format', 'csv') -%}
    {%- if file_format not in ['csv', 'parquet'] -%}
        {{ exceptions.raise_compiler_error(
            "The var raw_file_format is '" ~ file_format ~ "': it must be csv or parquet"
            ~ " (docs/raw-data-contract.md)."
        ) }}
    {%- endif -%}
    {{ return(file_format == 'parquet') }}
{% endmacro %}


{#-
    True when the base models' pre-hook reads the raw files itself: CSV on
    DuckDB, CSV or Parquet on Spark. DuckDB reads Parquet as the source's
    external location; other adapters read the tables of schema raw.
-#}
{% macro pre_hook_reads_raw_files() %}
    {{ return(
        target.type == 'spark'
        or (target.type == 'duckdb' and not raw_files_are_parquet())
    ) }}
{% endmacro %}


{#- True when this base model reads the raw files itself (and is not in a unit test). -#}
{% macro reads_raw_files(source_name, table_name) %}
    {{ return(
        execute
        and pre_hook_reads_raw_files()
        and not source(source_name, table_name).is_cte
    ) }}
{% endmacro %}


{#- The file name pattern of a raw table's files of a format (csv or parquet). -#}
{% macro raw_file_pattern(table_name, file_format) %}
    {{ return(table_name ~ '*.' ~ file_format) }}
{% endmacro %}


{#- The CSV files of a raw table in the raw folder(s), sorted by path. -#}
{% macro raw_csv_files(table_name) %}
    {{ return(raw_file_paths(raw_file_pattern(table_name, 'csv'))) }}
{% endmacro %}


{#- The Parquet files of a raw table in the raw folder(s), sorted by path. -#}
{% macro raw_parquet_files(table_name) %}
    {{ return(raw_file_paths(raw_file_pattern(table_name, 'parquet'))) }}
{% endmacro %}


{#-
    The files matching a pattern (`*` for any characters), sorted by path:
    a file name pattern is looked up in the raw folder(s) (LOYALTY_RAW_DIR),
    an absolute path as it is.
-#}
{% macro raw_file_paths(pattern) %}
    {{ return(adapter.dispatch('raw_file_paths', 'loyalty_marts')(pattern)) }}
{% endmacro %}

{% macro duckdb__raw_file_paths(pattern) %}
    {{ return(run_query(
        "select file from glob(" ~ raw_sql_text(pattern) ~ ") order by file"
    ).columns[0].values() | list) }}
{% endmacro %}


{#- The text of one file (UTF-8). -#}
{% macro raw_file_text(file_path) %}
    {{ return(adapter.dispatch('raw_file_text', 'loyalty_marts')(file_path)) }}
{% endmacro %}

{% macro duckdb__raw_file_text(file_path) %}
    {{ return(run_query(
        "select content from read_text(" ~ raw_sql_text(file_path) ~ ")"
    ).columns[0].values()[0]) }}
{% endmacro %}


{#-
    Whether a UTF-8 copy (copy_path) is current: written after the file,
    and the file still has the size it had when copied (size_bytes).
-#}
{% macro raw_copy_is_current(file_path, copy) %}
    {{ return(adapter.dispatch('raw_copy_is_current', 'loyalty_marts')(file_path, copy)) }}
{% endmacro %}

{% macro duckdb__raw_copy_is_current(file_path, copy) %}
    {{ return(
        run_query("select file from glob(" ~ raw_sql_text(copy.copy_path) ~ ")").rows | length == 1
        and run_query(
            "select max(last_modified) filter (filename = " ~ raw_sql_text(copy.copy_path) ~ ")"
            ~ " >= max(last_modified) filter (filename = " ~ raw_sql_text(file_path) ~ ")"
            ~ " and max(size) filter (filename = " ~ raw_sql_text(file_path) ~ ") = " ~ copy.size_bytes
            ~ " from read_blob([" ~ raw_sql_text(file_path) ~ ", " ~ raw_sql_text(copy.copy_path) ~ "])"
        ).columns[0].values()[0]
    ) }}
{% endmacro %}


{#- The UTF-8 copies of the raw files that are not UTF-8: {original path: entry}, from their manifest. -#}
{% macro raw_utf8_copies() %}
    {%- set copies_dir = env_var('LOYALTY_RAW_UTF8_DIR', '') -%}
    {%- if not copies_dir -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set manifest = copies_dir ~ '/manifest.json' -%}
    {%- if not raw_file_paths(manifest) -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set text = raw_file_text(manifest) -%}
    {{ return(fromjson(text).files) }}
{% endmacro %}


{#- The encoding loyalty_export.yml declares for a raw file, none when it declares none. -#}
{% macro raw_declared_encoding(file_path) %}
    {%- set settings = raw_export_settings() -%}
    {%- set file_name = file_path.split('/')[-1] -%}
    {{ return((settings.get('file_encodings') or {}).get(file_name, settings.get('encoding'))) }}
{% endmacro %}


{#-
    The path DuckDB reads for a raw file: its UTF-8 copy when the file is not
    UTF-8, else the file itself. A file declared in another encoding whose
    copy is missing or older than the file stops the build: the copy is made
    by the orchestration, so dbt is to be run through it.
-#}
{% macro raw_readable_file(file_path) %}
    {%- set copy = raw_utf8_copies().get(file_path) -%}
    {%- set declared = raw_declared_encoding(file_path) -%}
    {%- set declares_other = declared is not none
        and (declared | lower | replace('-', '') | replace('_', '')) not in ['utf8', 'utf8sig', 'ascii'] -%}
    {%- if copy is none and not declares_other -%}
        {{ return(file_path) }}
    {%- endif -%}
    {%- set current = copy is not none and raw_copy_is_current(file_path, copy) -%}
    {%- if not current -%}
        {{ exceptions.raise_compiler_error(
            "Raw file " ~ file_path ~ " is not UTF-8 ("
            ~ (copy.encoding ~ ", says " ~ copy.declared_by if copy else declared ~ ", says " ~ raw_export_file_name())
            ~ "): dbt reads it from a UTF-8 copy that the orchestration makes before each build,"
            ~ " and that copy is missing or older than the file. Run dbt through the project: make"
            ~ " build, make run, or `python -m orchestration.cli dbt ...` (docs/raw-data-contract.md)."
        ) }}
    {%- endif -%}
    {{ return(copy.copy_path) }}
{% endmacro %}


{#- A SQL string literal. -#}
{% macro raw_sql_text(value) -%}
    {{ dbt.string_literal(dbt.escape_single_quotes(value | string)) }}
{%- endmacro %}


{#- The dialect options of read_csv, as stated (no detection). -#}
{% macro raw_csv_dialect_options(dialect) -%}
    delim = {{ raw_sql_text(dialect.delimiter) }}, quote = {{ raw_sql_text(dialect.quote) }},
    escape = {{ raw_sql_text(dialect.escape) }}, auto_detect = false
{%- endmacro %}


{#-
    The column names of one CSV file as its header row has them (parsed with
    the folder's dialect), or the contract's columns in order when the
    folder says its files have no header. `read_path` is the file DuckDB
    reads (raw_readable_file).
-#}
{% macro raw_csv_header(read_path, dialect, contract_columns) %}
    {{ return(adapter.dispatch('raw_csv_header', 'loyalty_marts')(read_path, dialect, contract_columns)) }}
{% endmacro %}

{% macro duckdb__raw_csv_header(read_path, dialect, contract_columns) %}
    {%- if not dialect.header -%}
        {{ return(contract_columns) }}
    {%- endif -%}
    {%- set slots = [] -%}
    {%- for position in range(256) -%}
        {%- do slots.append("'column_" ~ position ~ "': 'varchar'") -%}
    {%- endfor -%}
    {%- set first_row = run_query(
        "select * from read_csv(" ~ raw_sql_text(read_path) ~ ", " ~ raw_csv_dialect_options(dialect)
        ~ ", header = false, columns = {" ~ (slots | join(', ')) ~ "}, null_padding = true,"
        ~ " parallel = false, ignore_errors = true) limit 1"
    ) -%}
    {%- set names = [] -%}
    {%- for row in first_row.rows -%}
        {%- for value in row if value is not none -%}
            {%- do names.append(value | trim) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{#-
    A select of one CSV file's rows: the contract columns in contract order
    as text (null when the file lacks the column), then source_file. With
    `rejects`, unparsable lines go to DuckDB's reject tables of that prefix.
    `read_path`: the file DuckDB reads, when the caller knows it already.
-#}
{% macro raw_csv_file_select(file_path, dialect, contract_columns, rejects=none, read_path=none) %}
    {%- set read_path = read_path or raw_readable_file(file_path) -%}
    {%- set header = raw_csv_header(read_path, dialect, contract_columns) -%}
    {%- set header_lower = header | map('lower') | list -%}
    {%- set columns = [] -%}
    {%- for name in header -%}
        {%- do columns.append(raw_sql_text(name) ~ ": 'varchar'") -%}
    {%- endfor -%}
    {%- set select_list = [] -%}
    {%- for column in contract_columns -%}
        {%- if column in header_lower -%}
            {%- set name = header[header_lower.index(column)] -%}
            {%- do select_list.append('"' ~ (name | replace('"', '""')) ~ '" as ' ~ column) -%}
        {%- else -%}
            {%- do select_list.append('cast(null as varchar) as ' ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    select
        {{ select_list | join(',\n        ') }},
        {{ raw_sql_text(file_path) }} as source_file
    from read_csv(
        {{ raw_sql_text(read_path) }},
        {{ raw_csv_dialect_options(dialect) }},
        header = {{ 'true' if dialect.header else 'false' }},
        columns = { {{- columns | join(', ') -}} }
        {%- if rejects %},
        store_rejects = true,
        rejects_table = '{{ rejects }}_errors',
        rejects_scan = '{{ rejects }}_scans'
        {%- endif %}
    )
{% endmacro %}


{#- The temporary tables (views on Spark) a base model reads its files into. -#}
{% macro raw_temp_table(table_name, kind) -%}
    {{ return(adapter.dispatch('raw_temp_table', 'loyalty_marts')(table_name, kind)) }}
{%- endmacro %}

{% macro duckdb__raw_temp_table(table_name, kind) -%}
    temp.main.raw_{{ table_name }}_{{ kind }}
{%- endmacro %}


{#-
    Pre-hook of every base model: read the table's raw files (in an
    incremental run only those no earlier run has read) into
    raw_<table>_rows, and the lines the reader rejected into
    raw_<table>_unreadable_lines (one row per line: file, line number, the
    reader's error type and the line's text).
-#}
{% macro read_raw_files(source_name, table_name) %}
    {{ return(adapter.dispatch('read_raw_files', 'loyalty_marts')(source_name, table_name)) }}
{% endmacro %}

{% macro duckdb__read_raw_files(source_name, table_name) %}
    {%- if not reads_raw_files(source_name, table_name) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set contract_columns = raw_contract_columns(source_name, table_name) | map(attribute='name') | list -%}
    {%- set dialect = raw_csv_dialect() -%}
    {%- set files_read = source_files_already_read(as_text=true) if is_incremental() else [] -%}
    {%- set files = raw_csv_files(table_name) | reject('in', files_read) | list -%}
    {%- set copies = raw_utf8_copies() if files else {} -%}
    {%- set read_paths = {} -%}
    {%- for file_path in files -%}
        {%- do read_paths.update({file_path: raw_readable_file(file_path)}) -%}
    {%- endfor -%}
    {%- set rejects = 'raw_' ~ table_name ~ '_rejects' -%}
    drop table if exists temp.main.{{ rejects }}_errors;
    drop table if exists temp.main.{{ rejects }}_scans;
    create or replace temp table {{ raw_temp_table(table_name, 'rows') }} as
    {% for file_path in files %}
    {{ raw_csv_file_select(file_path, dialect, contract_columns, rejects, read_paths[file_path]) }}
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        {%- for column in contract_columns %}
        cast(null as varchar) as {{ column }},
        {%- endfor %}
        cast(null as varchar) as source_file
    where false
    {%- endfor %};
    create or replace temp table {{ raw_temp_table(table_name, 'unreadable_lines') }} (
        source_file varchar, source_line_number bigint, error_type varchar, raw_line varchar
    );
    {% if files -%}
    create or replace temp table {{ raw_temp_table(table_name, 'files') }} as
    select * from (values
        {%- for file_path in files %}
        ({{ raw_sql_text(file_path) }}, {{ raw_sql_text(read_paths[file_path]) }},
            {{ raw_sql_text(raw_one_line(raw_encoding_message_head(file_path, copies.get(file_path)))) }},
            {{ raw_sql_text(raw_one_line(raw_encoding_message_tail(file_path, copies.get(file_path)))) }})
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as files (source_file, read_path, message_head, message_tail);
    insert into {{ raw_temp_table(table_name, 'unreadable_lines') }}
    select
        files.source_file,
        errors.line,
        arg_min(cast(errors.error_type as varchar), errors.byte_position),
        arg_min(errors.csv_line, errors.byte_position)
    from temp.main.{{ rejects }}_errors as errors
    inner join temp.main.{{ rejects }}_scans as scans
        on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
    inner join {{ raw_temp_table(table_name, 'files') }} as files
        on scans.file_path = files.read_path
    group by files.source_file, errors.line;
    {{ raw_encoding_check(table_name) }}
    {%- endif %}
{% endmacro %}


{#-
    Stops the build (DuckDB's error()) at the first file read by this model
    with more lines of bytes its encoding does not allow than the share
    that marks a broken export (var max_quarantined_share): such a file is in
    another encoding than the one it is read in. Fewer such lines are
    quarantined as unreadable_line_invalid_bytes. The message names the file
    and the setting, never a line's content.
-#}
{% macro raw_encoding_check(table_name) -%}
    select {{ raise_error_function() }}(
        files.message_head || lines.invalid_line_count || ' of its ' || lines.line_count
        || ' lines hold bytes that ' || files.message_tail
    )
    from (
        select
            source_file,
            count(*) as line_count,
            count(*) filter (where has_invalid_bytes) as invalid_line_count
        from (
            select source_file, false as has_invalid_bytes
            from {{ raw_temp_table(table_name, 'rows') }}
            union all
            select source_file, error_type = 'INVALID ENCODING' as has_invalid_bytes
            from {{ raw_temp_table(table_name, 'unreadable_lines') }}
        ) as file_lines
        group by source_file
    ) as lines
    inner join {{ raw_temp_table(table_name, 'files') }} as files
        on lines.source_file = files.source_file
    where lines.invalid_line_count > {{ var('max_quarantined_share') }} * lines.line_count;
{%- endmacro %}


{#- Text on one line, runs of white space as one space (keeps an end space). -#}
{% macro raw_one_line(text) -%}
    {{ return(modules.re.sub('\\s+', ' ', text | string)) }}
{%- endmacro %}


{#- The start of the message of raw_encoding_check for a file (copy: its UTF-8 copy's entry, or none). -#}
{% macro raw_encoding_message_head(file_path, copy) -%}
    {%- if copy is none -%}
        Raw file {{ file_path }} is not UTF-8:{{ ' ' }}
    {%- else -%}
        Raw file {{ file_path }} is not {{ copy.encoding }} as {{ copy.declared_by }} says:{{ ' ' }}
    {%- endif -%}
{%- endmacro %}


{#- The end of the message of raw_encoding_check for a file: what to do. -#}
{% macro raw_encoding_message_tail(file_path, copy) -%}
    {%- set file_name = file_path.split('/')[-1] -%}
    {%- if copy is none -%}
        UTF-8 does not allow. If it was saved in another encoding (GB18030 or GBK for most
        Chinese exports), declare it in {{ raw_export_file_name() }} beside it: `encoding: gb18030`
        for every file of the folder, or `file_encodings: {{ '{' ~ file_name ~ ': gb18030}' }}` for
        this file (docs/raw-data-contract.md).
    {%- else -%}
        {{ copy.encoding }} does not allow. Declare the file's encoding in
        {{ raw_export_file_name() }} beside it (`file_encodings: {{ '{' ~ file_name ~ ': <encoding>}' }}`;
        docs/raw-data-contract.md).
    {%- endif -%}
{%- endmacro %}


{#-
    The quarantine reason of a line the CSV reader rejected, from DuckDB's
    error type (reject_errors.error_type).
-#}
{% macro unreadable_line_reason(error_type) -%}
    case {{ error_type }}
        when 'TOO MANY COLUMNS' then 'unreadable_line_too_many_fields'
        when 'MISSING COLUMNS' then 'unreadable_line_too_few_fields'
        when 'UNQUOTED VALUE' then 'unreadable_line_broken_quoting'
        when 'INVALID ENCODING' then 'unreadable_line_invalid_bytes'
        when 'LINE SIZE OVER MAXIMUM' then 'unreadable_line_too_long'
        else 'unreadable_line'
    end
{%- endmacro %}


{#-
    For the raw_rows_reconcile test: how many rows the raw files of a table
    hold, as the reader sees them (for CSV: the rows it parsed plus the lines
    it rejected). Read at compile time, in the test's own connection.
-#}
{% macro raw_file_row_count(source_name, table_name) %}
    {{ return(adapter.dispatch('raw_file_row_count', 'loyalty_marts')(source_name, table_name)) }}
{% endmacro %}

{% macro duckdb__raw_file_row_count(source_name, table_name) %}
    {%- set contract_columns = raw_contract_columns(source_name, table_name) | map(attribute='name') | list -%}
    {%- set dialect = raw_csv_dialect() -%}
    {%- set rejects = 'raw_' ~ table_name ~ '_count_rejects' -%}
    {%- set files = raw_csv_files(table_name) -%}
    {%- if not files -%}
        {{ return(0) }}
    {%- endif -%}
    {%- do run_query("drop table if exists temp.main." ~ rejects ~ "_errors") -%}
    {%- do run_query("drop table if exists temp.main." ~ rejects ~ "_scans") -%}
    {%- set selects = [] -%}
    {%- for file_path in files -%}
        {%- do selects.append(raw_csv_file_select(file_path, dialect, contract_columns, rejects)) -%}
    {%- endfor -%}
    {%- set parsed = run_query(
        "select count(*) from (" ~ (selects | join(' union all ')) ~ ") as raw_rows"
    ).columns[0].values()[0] -%}
    {%- set unreadable = run_query(
        "select count(*) from (select distinct scan_id, file_id, line from temp.main." ~ rejects ~ "_errors)"
    ).columns[0].values()[0] -%}
    {{ return(parsed + unreadable) }}
{% endmacro %}


{#- The SQL function that stops a query with a message. -#}
{% macro raise_error_function() -%}
    {{ return(adapter.dispatch('raise_error_function', 'loyalty_marts')()) }}
{%- endmacro %}

{% macro duckdb__raise_error_function() -%}
    error
{%- endmacro %}


{#-
    The rows of the CSV files matching pattern (file_paths: those files, as
    raw_file_paths lists them), every value as text, the columns matched by
    name: each of `columns`, empty when a file lacks it (an earlier-wave
    file without a later-added column, say). No file: no rows.
-#}
{% macro csv_files_as_text(columns, pattern, file_paths) %}
    {{ return(adapter.dispatch('csv_files_as_text', 'loyalty_marts')(columns, pattern, file_paths)) }}
{% endmacro %}

{% macro duckdb__csv_files_as_text(columns, pattern, file_paths) %}
    -- The same columns, no rows: unioned by name with the files, it also
    -- gives a file without a column an empty one.
    select
        {{ empty_text_columns(columns) }}
    where false
    {%- if file_paths %}
    union all by name
    select *
    from read_csv(
            {{ raw_sql_text(pattern) }},
            header = true, all_varchar = true, union_by_name = true
        )
    {%- endif %}
{% endmacro %}
