{#-
    One row per valid customer with the personal data needed to reach them
    (name, e-mail, phone) and their marketing consent. Schema `restricted`:
    never published to the BI file; campaign exports join it at the edge.
-#}
with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

final as (

    select
        customer_id,
        full_name,
        email,
        phone,
        coalesce(marketing_consent, 'none') as marketing_consent,
        marketing_consent_at
    from customers

)

select * from final
