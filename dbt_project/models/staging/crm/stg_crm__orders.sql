{#- One row per valid order: the latest version of each order_id, typed. -#}
{{ config(materialized="view") }}

with

base as (

    select * from {{ ref('base_crm__orders') }}
    where row_status = 'valid'

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        status,
        channel,
        coalesce(updated_at, ordered_at) as updated_at,
        refreshed_at
    from base

)

select * from final
