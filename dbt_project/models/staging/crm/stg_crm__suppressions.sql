{#- One row per valid suppression, typed. -#}
with

base as (

    select * from {{ ref('base_crm__suppressions') }}
    where row_status = 'valid'

),

final as (

    select
        suppression_id,
        customer_id,
        reason,
        suppressed_at,
        lifted_at
    from base

)

select * from final
