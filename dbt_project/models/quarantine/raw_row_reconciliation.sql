{#-
    One row per raw source table: how many raw rows it had and what became of
    them. count_raw_rows = count_valid_rows + count_quarantined_rows +
    count_duplicate_rows always holds (data-tests/staging/assert_raw_rows_reconcile.sql
    checks it against the raw files themselves).
-#}
{%- set source_tables = raw_tables() -%}
with

{% for table_name in source_tables %}
{{ table_name }}_counted as (

    select
        '{{ table_name }}' as source_table,
        count(*) as count_raw_rows,
        sum(case when row_status = 'valid' then 1 else 0 end) as count_valid_rows,
        sum(case when row_status = 'quarantined' then 1 else 0 end) as count_quarantined_rows,
        sum(case when row_status = 'duplicate' then 1 else 0 end) as count_duplicate_rows,
        sum(case when duplicate_kind = 'exact_copy' then 1 else 0 end) as count_exact_copies,
        sum(case when duplicate_kind = 'superseded_version' then 1 else 0 end)
            as count_superseded_versions
    from {{ ref('base_crm__' ~ table_name) }}

),

{% endfor %}
unioned as (

    {% for table_name in source_tables %}
    select * from {{ table_name }}_counted
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        source_table,
        cast(count_raw_rows as integer) as count_raw_rows,
        cast(coalesce(count_valid_rows, 0) as integer) as count_valid_rows,
        cast(coalesce(count_quarantined_rows, 0) as integer) as count_quarantined_rows,
        cast(coalesce(count_duplicate_rows, 0) as integer) as count_duplicate_rows,
        cast(coalesce(count_exact_copies, 0) as integer) as count_exact_copies,
        cast(coalesce(count_superseded_versions, 0) as integer) as count_superseded_versions
    from unioned

)

select * from final
