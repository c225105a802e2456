{#-
    Incremental runs (docs/operations.md, "Daily incremental runs").

    Every row an incremental model writes carries refreshed_at: the start of
    the dbt run that last computed it. A model's watermark is the latest
    refreshed_at in its own table; anything upstream refreshed after it is new
    to the model. A model that failed or was skipped simply finds more rows
    after its watermark next time, so no run has to succeed for the next one
    to be right.

    Raw rows are new when they sit in a file no earlier run has read. Late
    orders and status changes are found by the file they arrive in, not by
    their dates, so there is no lookback window: a return recorded 40 days
    after its order is picked up like any other row.
-#}


{#- The start of this run, stamped as refreshed_at on every row a model writes. -#}
{% macro refreshed_at() -%}
    {{ run_started_timestamp() }}
{%- endmacro %}


{#- This model's watermark: the latest refreshed_at it holds (an early date when empty). -#}
{% macro last_refreshed_at() -%}
    (
        select coalesce(max(refreshed_at), cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
{%- endmacro %}


{#-
    The key a base model judges rows by: the cleaned identifier, or
    '(missing)' for rows without one, so those are judged together too.
-#}
{% macro judgement_key(column) -%}
    coalesce({{ clean_text(column) }}, '(missing)')
{%- endmacro %}


{#-
    The files this base model has already read, as a list of SQL string
    literals (or, with as_text, of paths), looked up when the run starts.
    Literals (not a subquery) let the warehouse skip those files without
    opening them.
-#}
{% macro source_files_already_read(as_text=false) -%}
    {%- set files = [] -%}
    {%- if execute -%}
        {%- set query -%}
            select distinct source_file from {{ this }} where source_file is not null order by 1
        {%- endset -%}
        {%- for file in run_query(query).columns[0].values() -%}
            {%- do files.append(file if as_text else "'" ~ (file | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(files) }}
{%- endmacro %}


{#-
    The raw rows of a base model's source, with the file each came from:
    every row in a full build, only rows of files not read before in an
    incremental one. CSV files on DuckDB were read by the model's pre-hook
    (macros/read_raw_files.sql), which already left out the files read
    before. A raw relation without file names (a warehouse table instead of
    files) cannot say which rows are new: an incremental run then fails with
    what to do instead of missing rows.
-#}
{% macro unread_raw_rows(source_name, table_name) %}
    {%- if reads_raw_files(source_name, table_name) %}
    select * from {{ raw_temp_table(table_name, 'rows') }}
    {%- else -%}
    {%- if execute and is_incremental() -%}
        {%- set present_columns = raw_relation_column_names(source_name, table_name) -%}
        {%- if present_columns is not none and 'filename' not in present_columns -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ ": an incremental run finds new rows of " ~ source_name ~ "."
                ~ table_name ~ " by the file they came from, and this raw table has no "
                ~ "filename column. Add one (the name of the file or batch each row was "
                ~ "loaded from) or build with --full-refresh."
            ) }}
        {%- endif -%}
    {%- endif %}
    select *
    from (
        select
            {{ raw_columns(source_name, table_name) }},
            {{ raw_source_file(source_name, table_name) }} as source_file
        from {{ source(source_name, table_name) }}
    ) as raw_rows
    {% if is_incremental() -%}
    {%- set files_read = source_files_already_read() -%}
    {%- if files_read -%}
    where source_file not in (
        {{ files_read | join(', ') }}
    )
    {%- endif -%}
    {%- endif %}
    {%- endif %}
{% endmacro %}


{#-
    customer_id of every row of the given models refreshed after this
    model's watermark: the customers whose rows this run must recompute.
-#}
{% macro customers_refreshed_upstream(model_names) -%}
    {%- for model_name in model_names %}
    select customer_id
    from {{ ref(model_name) }}
    where refreshed_at > {{ last_refreshed_at() }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#-
    Pre-hook of the models kept per customer: before an incremental run,
    drop the rows of every customer it recomputes. delete+insert alone would
    keep the rows of a customer who has none left (every order quarantined
    by a later conflicting version, say).
-#}
{% macro delete_rows_of_refreshed_customers(model_names) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where customer_id in ({{ customers_refreshed_upstream(model_names) }})
    {%- endif -%}
{%- endmacro %}


{#-
    For a base model's keys_to_revisit: the keys of rows judged before whose
    check against a parent (`reason`, the model's last check) would now come
    out differently, because the parent key became valid or stopped being
    valid. Only rows that reached that check count: not exact copies, and
    valid, conflicting or failed by that very check.
-#}
{% macro keys_whose_parent_check_changed(column, parent_model, reason) -%}
    select judged_before.{{ config.get('unique_key') }}
    from judged_before
    left join {{ ref(parent_model) }} as parent
        on judged_before.{{ column }} = parent.{{ column }}
        and parent.row_status = 'valid'
    where coalesce(judged_before.duplicate_kind, '') <> 'exact_copy'
        and coalesce(judged_before.quarantine_reason, '') in ('', '{{ reason }}', 'conflicting_versions')
        and (coalesce(judged_before.quarantine_reason, '') = '{{ reason }}') <> (parent.{{ column }} is null)
{%- endmacro %}
