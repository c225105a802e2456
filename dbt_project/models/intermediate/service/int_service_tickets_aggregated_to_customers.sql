{#- One row per customer with at least one ticket opened on or before the as-of date. -#}
with

{{ import_models({'tickets': 'stg_crm__service_tickets', 'as_of': 'int_as_of_date'}) }},

tickets_in_scope as (

    select
        tickets.*,
        tickets.resolved_at is null
        or cast(tickets.resolved_at as date) > as_of.as_of_date as is_open_at_as_of,
        case
            when cast(tickets.first_responded_at as date) <= as_of.as_of_date
                then {{ dbt.datediff('tickets.opened_at', 'tickets.first_responded_at', 'minute') }} / 60.0
        end as first_response_hours
    from tickets
    cross join as_of
    where cast(tickets.opened_at as date) <= as_of.as_of_date

),

final as (

    select
        customer_id,
        cast(count(*) as integer) as count_tickets,
        cast(sum(case when category = 'complaint' then 1 else 0 end) as integer) as count_complaints,
        cast(sum(case when is_open_at_as_of then 1 else 0 end) as integer) as count_open_tickets,
        cast(sum(case when category = 'complaint' and is_open_at_as_of then 1 else 0 end) as integer)
            as count_open_complaints,
        cast(avg(first_response_hours) as double precision) as avg_first_response_hours,
        max(cast(opened_at as date)) as last_ticket_date,
        cast(count(*) * {{ var('cost_to_serve_per_ticket') }} as decimal(18, 2)) as ticket_cost_to_serve
    from tickets_in_scope
    group by customer_id

)

select * from final
