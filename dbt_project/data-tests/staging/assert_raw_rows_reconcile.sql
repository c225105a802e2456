{#-
    Every raw row is accounted for: for each source table, the rows read
    straight from the raw files equal valid + quarantined + duplicate rows,
    and the valid rows are exactly the staging model's rows. Returns the
    tables where that fails.
-#}
{%- set source_tables = raw_tables() -%}
with

raw_counts as (

    {% for table_name in source_tables %}
    select '{{ table_name }}' as source_table, count(*) as count_rows_in_raw
    from {{ source('crm', table_name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

staged_counts as (

    {% for table_name in source_tables %}
    select '{{ table_name }}' as source_table, count(*) as count_rows_in_staging
    from {{ ref('stg_crm__' ~ table_name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

reconciliation as (

    select * from {{ ref('raw_row_reconciliation') }}

),

compared as (

    select
        reconciliation.*,
        raw_counts.count_rows_in_raw,
        staged_counts.count_rows_in_staging
    from reconciliation
    inner join raw_counts
        on reconciliation.source_table = raw_counts.source_table
    inner join staged_counts
        on reconciliation.source_table = staged_counts.source_table

)

select *
from compared
where count_rows_in_raw != count_raw_rows
    or count_raw_rows != count_valid_rows + count_quarantined_rows + count_duplicate_rows
    or count_valid_rows != count_rows_in_staging
