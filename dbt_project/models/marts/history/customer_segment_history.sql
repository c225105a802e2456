{#-
    Every build adds the customers' segments as of the build's as-of date
    (int_as_of_date: var as_of_date, else the latest order date): value tier,
    loyalty class, loyalty ladder stage and lifecycle status, read from the
    marts that publish them. The key is (as_of_date, customer_id); a build
    for an as-of date already recorded replaces that date's rows
    (delete+insert on as_of_date), so rebuilding a day never duplicates it,
    and a back-dated build adds its own date beside the others.

    Incremental by as-of date, not a dbt snapshot: a snapshot records changes
    by the time of the build, while the project builds back-dated as-of dates
    too. full_refresh: false keeps `dbt build --full-refresh` (run whenever
    the raw folder changes) from wiping the history: a past as-of date can
    be rebuilt only while the raw data still says what it said then. A
    column added to the contract is appended to an existing table
    (on_schema_change), its old rows null.

    On Spark (Parquet tables: no delete) the table is partitioned by
    as_of_date and a build overwrites its date's partition
    (insert_overwrite), which replaces that date's rows as delete+insert
    does; Spark stores the partition column last (docs/spark.md).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'delete+insert',
        partition_by=['as_of_date'] if target.type == 'spark' else none,
        unique_key='as_of_date',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
with

{{ import_models({
    'lifecycle': 'customer_lifecycle', 'loyalty': 'customer_loyalty_class',
    'segment_tiers': 'customer_segment_tier'
}) }},

final as (

    select
        lifecycle.as_of_date,
        lifecycle.customer_id,
        segment_tiers.value_tier,
        loyalty.loyalty_class,
        loyalty.loyalty_ladder_stage,
        lifecycle.lifecycle_status,
        {{ refreshed_at() }} as recorded_at
    from lifecycle
    inner join loyalty
        on lifecycle.customer_id = loyalty.customer_id
    inner join segment_tiers
        on lifecycle.customer_id = segment_tiers.customer_id

)

select * from final
