{#- One row per valid product, typed. -#}
with

base as (

    select * from {{ ref('base_crm__products') }}
    where row_status = 'valid'

),

final as (

    select
        product_id,
        product_name,
        category,
        launched_date,
        usage_cycle_days
    from base

)

select * from final
