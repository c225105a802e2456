{#- One row per valid consent event, typed. -#}
with

base as (

    select * from {{ ref('base_crm__consent_events') }}
    where row_status = 'valid'

),

final as (

    select
        consent_event_id,
        customer_id,
        consent,
        recorded_at,
        channel
    from base

)

select * from final
