{#-
    The table the campaign wave (orchestration/campaigns/selection.py)
    appends every list to, defined here once: its columns and types are this
    model's contract. The wave inserts its rows; dbt adds only the earlier
    waves found in the raw folder's contact_history*.csv files (waves sent
    before this tool, or by another one; the bundled sample carries two), of
    a campaign and wave date not recorded yet, so a rebuild never duplicates
    them. full_refresh: false keeps `dbt build --full-refresh` from wiping
    the history of past waves, which cannot be rebuilt from the raw data. A
    column added to the contract is appended to an existing table
    (on_schema_change), its old rows null. An earlier-wave file without a
    channel column is read with the channel empty.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}
{%- set history_files = raw_csv_files('contact_history') if execute else [] %}

with

earlier_files as (

    {{ csv_files_as_text(
        ['campaign', 'wave_date', 'customer_id', 'assignment', 'priority', 'as_of_date', 'channel'],
        'contact_history*.csv',
        history_files
    ) }}

),

earlier_waves as (

    select
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        cast(wave_date as date) as wave_date,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(assignment as {{ dbt.type_string() }}) as assignment,
        cast(nullif(priority, '') as integer) as priority,
        cast(nullif(as_of_date, '') as date) as as_of_date,
        cast(nullif(channel, '') as {{ dbt.type_string() }}) as channel
    from earlier_files

),

new_waves as (

    select earlier_waves.*
    from earlier_waves
    {% if is_incremental() -%}
    where not exists (
            select 1
            from {{ this }} as recorded
            where recorded.campaign = earlier_waves.campaign
                and recorded.wave_date = earlier_waves.wave_date
        )
    {%- endif %}

)

select * from new_waves
