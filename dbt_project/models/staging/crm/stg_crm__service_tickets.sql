{#- One row per valid service ticket, typed. -#}
with

base as (

    select * from {{ ref('base_crm__service_tickets') }}
    where row_status = 'valid'

),

final as (

    select
        ticket_id,
        customer_id,
        opened_at,
        category,
        first_responded_at,
        resolved_at
    from base

)

select * from final
