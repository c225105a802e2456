{#-
    One row per service ticket opened on or before the as-of date: whether it
    is still open at the as-of date, how old it is and how fast it was first
    answered, so the service team can follow up complaints (service
    recovery) ticket by ticket.
-#}
with

{{ import_models({'tickets': 'stg_crm__service_tickets', 'as_of': 'int_as_of_date'}) }},

final as (

    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.category,
        as_of.as_of_date,
        cast(tickets.opened_at as date) as opened_date,
        tickets.category = 'complaint' as is_complaint,
        tickets.resolved_at is null
        or cast(tickets.resolved_at as date) > as_of.as_of_date as is_open,
        cast({{ days_between('cast(tickets.opened_at as date)', 'as_of.as_of_date') }} as integer)
            as age_days,
        cast(
            case
                when cast(tickets.first_responded_at as date) <= as_of.as_of_date
                    then {{ dbt.datediff('tickets.opened_at', 'tickets.first_responded_at', 'minute') }} / 60.0
            end as double precision
        ) as first_response_hours
    from tickets
    cross join as_of
    where cast(tickets.opened_at as date) <= as_of.as_of_date

)

select * from final
