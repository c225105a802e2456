{#- One row per customer contacted by a campaign on or before the as-of date, with what the contacts cost. -#}
with

{{ import_models({'contacts': 'int_contacts_priced'}) }},

final as (

    select
        customer_id,
        cast(count(*) as integer) as count_contacts,
        cast(sum(contact_cost) as decimal(18, 2)) as contact_cost_to_serve
    from contacts
    group by customer_id

)

select * from final
