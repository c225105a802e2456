{#-
    A broken export must not reach the marts silently: fails (and so blocks
    the campaign lists and publishing) when more than var
    max_quarantined_share of a raw table's rows are quarantined. Returns the
    tables over the limit.
-#}
with

reconciliation as (

    select * from {{ ref('raw_row_reconciliation') }}

)

select
    source_table,
    count_raw_rows,
    count_quarantined_rows,
    1.0 * count_quarantined_rows / count_raw_rows as quarantined_share
from reconciliation
where count_raw_rows > 0
    and 1.0 * count_quarantined_rows / count_raw_rows > {{ var('max_quarantined_share') }}
