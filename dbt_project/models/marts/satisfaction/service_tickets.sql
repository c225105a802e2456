{#-
    One row per service ticket opened on or before the as-of date: whether it
    is still open at the as-of date, how old it is and how fast it was first
    answered, so the service team can follow up complaints (service
    recovery) ticket by ticket.
-#}
with

{{ import_models({'tickets': 'int_service_tickets_timed'}) }},

final as (

    select
        ticket_id,
        customer_id,
        category,
        as_of_date,
        opened_date,
        is_complaint,
        is_open_at_as_of as is_open,
        age_days,
        first_response_hours
    from tickets

)

select * from final
