{#- One row per customer with at least one ticket opened on or before the as-of date. -#}
with

{{ import_models({'tickets': 'int_service_tickets_timed'}) }},

final as (

    select
        customer_id,
        cast(count(*) as integer) as count_tickets,
        cast(sum(case when is_complaint then 1 else 0 end) as integer) as count_complaints,
        cast(sum(case when is_open_at_as_of then 1 else 0 end) as integer) as count_open_tickets,
        cast(sum(case when is_complaint and is_open_at_as_of then 1 else 0 end) as integer)
            as count_open_complaints,
        cast(avg(first_response_hours) as double) as avg_first_response_hours,
        min(opened_date) as first_ticket_date,
        max(opened_date) as last_ticket_date,
        cast(count(*) * {{ var('cost_to_serve_per_ticket') }} as decimal(18, 2)) as ticket_cost_to_serve
    from tickets
    group by customer_id

)

select * from final
