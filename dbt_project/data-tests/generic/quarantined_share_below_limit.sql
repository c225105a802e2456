{#-
    Generic test on a raw source table: fails when more than var
    max_quarantined_share of its rows are quarantined in the base model. An
    export that broke (a changed column format, a truncated file) stops the
    build, and so the marts, the campaign lists and publishing, instead of
    producing them from a fraction of the data. Raise the var for a
    known-bad backfill. Returns one row with the counts when it fails.
-#}
{% test quarantined_share_below_limit(model, base_model) %}

with

judged_rows as (

    select
        count(*) as count_rows,
        sum(case when row_status = 'quarantined' then 1 else 0 end) as count_quarantined_rows
    from {{ base_model }}

)

select
    count_rows,
    count_quarantined_rows,
    1.0 * count_quarantined_rows / count_rows as quarantined_share
from judged_rows
where count_rows > 0
    and 1.0 * count_quarantined_rows / count_rows > {{ var('max_quarantined_share') }}

{% endtest %}
