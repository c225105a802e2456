{#-
    What acquiring a customer costs against what keeping one costs, per
    acquisition channel and value tier (with 'all' rollups): the seed
    acquisition_costs per customer acquired (with a purchase), against the
    retention cost of a year of the relationship, campaign contacts (seed
    contact_costs) and service tickets (var cost_to_serve_per_ticket), and
    the realised profit the customers brought.
-#}
with

{{ import_models({
    'customers': 'customers', 'acquisition_costs': 'acquisition_costs',
    'customer_contacts': 'int_contacts_aggregated_to_customers',
    'customer_tickets': 'int_service_tickets_aggregated_to_customers'
}) }},

acquired as (

    select
        customers.customer_id,
        customers.as_of_date,
        coalesce(customers.acquisition_channel, 'unknown') as acquisition_channel,
        customers.value_tier,
        acquisition_costs.cost_per_customer as acquisition_cost,
        coalesce(customer_contacts.count_contacts, 0) as count_contacts,
        coalesce(customer_contacts.contact_cost_to_serve, 0) as contact_cost,
        coalesce(customer_tickets.count_tickets, 0) as count_tickets,
        coalesce(customer_tickets.ticket_cost_to_serve, 0) as service_cost,
        cast(customers.tenure_days as double) / 365.25 as customer_years,
        customers.realised_profit
    from customers
    left join acquisition_costs
        on coalesce(customers.acquisition_channel, 'unknown') = acquisition_costs.acquisition_channel
    left join customer_contacts
        on customers.customer_id = customer_contacts.customer_id
    left join customer_tickets
        on customers.customer_id = customer_tickets.customer_id
    where customers.count_purchases > 0

),

aggregated as (

    select
        case
            when grouping(acquisition_channel) = 1 then 'all' else acquisition_channel
        end as acquisition_channel,
        case when grouping(value_tier) = 1 then 'all' else value_tier end as value_tier,
        min(as_of_date) as as_of_date,
        count(*) as count_customers,
        count(acquisition_cost) as count_customers_with_acquisition_cost,
        sum(acquisition_cost) as acquisition_cost,
        sum(count_contacts) as count_contacts,
        sum(contact_cost) as contact_cost,
        sum(count_tickets) as count_tickets,
        sum(service_cost) as service_cost,
        sum(customer_years) as customer_years,
        sum(realised_profit) as realised_profit
    from acquired
    group by grouping sets ((acquisition_channel, value_tier), (acquisition_channel), (value_tier), ())

),

final as (

    select
        acquisition_channel,
        value_tier,
        as_of_date,
        cast(count_customers as integer) as count_customers,
        cast(count_customers - count_customers_with_acquisition_cost as integer)
            as count_customers_without_acquisition_cost,
        cast({{ money_per('acquisition_cost', 'count_customers_with_acquisition_cost') }} as decimal(18, 2))
            as acquisition_cost_per_customer,
        cast(acquisition_cost as decimal(18, 2)) as acquisition_cost,
        cast(count_contacts as integer) as count_contacts,
        cast(contact_cost as decimal(18, 2)) as contact_cost,
        cast(count_tickets as integer) as count_tickets,
        cast(service_cost as decimal(18, 2)) as service_cost,
        cast(contact_cost + service_cost as decimal(18, 2)) as retention_cost,
        cast(customer_years as double) as customer_years,
        cast((contact_cost + service_cost) / nullif(customer_years, 0) as decimal(18, 2))
            as retention_cost_per_customer_year,
        {{ ratio(
            ratio('acquisition_cost', 'count_customers_with_acquisition_cost'),
            ratio('contact_cost + service_cost', 'customer_years')
        ) }} as acquisition_to_retention_cost_ratio,
        cast({{ money_per('realised_profit', 'count_customers') }} as decimal(18, 2))
            as realised_profit_per_customer,
        cast(
            {{ money_per('realised_profit', 'count_customers') }}
            - {{ money_per('acquisition_cost', 'count_customers_with_acquisition_cost') }}
            as decimal(18, 2)
        ) as profit_per_customer_after_acquisition
    from aggregated

)

select * from final
