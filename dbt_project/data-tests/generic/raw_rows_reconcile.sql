{#-
    Generic test on a raw source table: every raw row is accounted for. The
    base model holds each raw row exactly once (valid, quarantined or
    duplicate), and the staging model holds exactly its valid rows. Where the
    base models read the files themselves (CSV on DuckDB, CSV or Parquet on
    Spark) the raw rows are counted from the files: for CSV the rows the
    reader parses plus the lines it rejects (macros/read_raw_files.sql),
    since each rejected line is a quarantined row of the base model. Returns
    one row with the counts when either fails; after a raw file was removed
    or rewritten under a name already read, rebuild with --full-refresh.
-#}
{% test raw_rows_reconcile(model, base_model, staging_model, source_name='crm') %}

with

raw_rows as (

    {% if execute and pre_hook_reads_raw_files() -%}
    select {{ raw_file_row_count(source_name, model.identifier) }} as count_rows
    {%- else -%}
    select count(*) as count_rows from {{ model }}
    {%- endif %}

),

judged_rows as (

    select
        count(*) as count_rows,
        sum(case when row_status = 'valid' then 1 else 0 end) as count_valid_rows
    from {{ base_model }}

),

staged_rows as (

    select count(*) as count_rows from {{ staging_model }}

),

counts as (

    select
        raw_rows.count_rows as count_raw_rows,
        judged_rows.count_rows as count_judged_rows,
        coalesce(judged_rows.count_valid_rows, 0) as count_valid_rows,
        staged_rows.count_rows as count_staged_rows
    from raw_rows
    cross join judged_rows
    cross join staged_rows

)

select *
from counts
where count_raw_rows <> count_judged_rows
    or count_valid_rows <> count_staged_rows

{% endtest %}
