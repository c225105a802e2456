{#-
    One row per campaign contact made on or before the as-of date: the
    treatment rows of the contact history (holdout and global control are not
    contacted), each priced by its channel in the seed contact_costs. A
    contact whose channel is unknown or not in the seed costs nothing.
-#}
with

{{ import_models({
    'contacts': 'contact_history', 'contact_costs': 'contact_costs', 'as_of': 'int_as_of_date'
}) }},

final as (

    select
        contacts.campaign,
        contacts.wave_date,
        contacts.customer_id,
        contacts.channel,
        cast(coalesce(contact_costs.cost_per_contact, 0) as decimal(18, 2)) as contact_cost
    from contacts
    cross join as_of
    left join contact_costs
        on contacts.channel = contact_costs.channel
    where contacts.assignment = 'treatment'
        and contacts.wave_date <= as_of.as_of_date

)

select * from final
