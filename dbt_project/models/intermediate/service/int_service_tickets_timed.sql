{#-
    One row per service ticket opened on or before the as-of date, with how
    long it took: hours to the first response and to resolution, each only
    when it happened by the as-of date, and whether the ticket is still open
    then. Every ticket figure (per ticket, per customer, per month) starts
    here.
-#}
with

{{ import_models({'tickets': 'stg_crm__service_tickets', 'as_of': 'int_as_of_date'}) }},

final as (

    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.category,
        as_of.as_of_date,
        tickets.opened_at,
        cast(tickets.opened_at as date) as opened_date,
        tickets.category = 'complaint' as is_complaint,
        case
            when cast(tickets.resolved_at as date) <= as_of.as_of_date
                then cast(tickets.resolved_at as date)
        end as resolved_date,
        tickets.resolved_at is null
        or cast(tickets.resolved_at as date) > as_of.as_of_date as is_open_at_as_of,
        cast({{ days_between('cast(tickets.opened_at as date)', 'as_of.as_of_date') }} as integer)
            as age_days,
        cast(
            case
                when cast(tickets.first_responded_at as date) <= as_of.as_of_date
                    then
                        cast({{ dbt.datediff('tickets.opened_at', 'tickets.first_responded_at', 'second') }} as double)
                        / 3600.0
            end as double
        ) as first_response_hours,
        cast(
            case
                when cast(tickets.resolved_at as date) <= as_of.as_of_date
                    then
                        cast({{ dbt.datediff('tickets.opened_at', 'tickets.resolved_at', 'second') }} as double)
                        / 3600.0
            end as double
        ) as resolution_hours
    from tickets
    cross join as_of
    where cast(tickets.opened_at as date) <= as_of.as_of_date

)

select * from final
