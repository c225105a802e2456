{#-
    One row per customer contacted by a campaign wave on or before the
    as-of date: the treatment contacts (holdout and global control are not
    contacted) and what they cost, priced per channel by the seed
    contact_costs. A contact whose channel is unknown or not in the seed
    costs nothing.
-#}
with

{{ import_models({
    'contacts': 'contact_history', 'contact_costs': 'contact_costs', 'as_of': 'int_as_of_date'
}) }},

final as (

    select
        contacts.customer_id,
        cast(count(*) as integer) as count_contacts,
        cast(sum(coalesce(contact_costs.cost_per_contact, 0)) as decimal(18, 2))
            as contact_cost_to_serve
    from contacts
    cross join as_of
    left join contact_costs
        on contacts.channel = contact_costs.channel
    where contacts.assignment = 'treatment'
        and contacts.wave_date <= as_of.as_of_date
    group by contacts.customer_id

)

select * from final
