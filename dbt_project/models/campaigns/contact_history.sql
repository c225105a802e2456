{#-
    The table the campaign wave (orchestration/campaigns/selection.py)
    appends every list to, defined here once: its columns and types are this
    model's contract. The model selects no rows: the first build creates the
    empty table, later builds add nothing, and full_refresh: false keeps
    `dbt build --full-refresh` from wiping the history of past waves, which
    cannot be rebuilt from the raw data. A column added to the contract is
    appended to an existing table (on_schema_change), its old rows null.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}

with

no_rows as (

    select
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as date) as wave_date,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as assignment,
        cast(null as integer) as priority,
        cast(null as date) as as_of_date

)

select * from no_rows
where false
