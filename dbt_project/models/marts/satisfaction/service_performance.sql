{#-
    Service performance by the month tickets were opened, for all customers
    and per segment (value tier, customer type): tickets by category, how
    fast they were first answered and resolved (median and 90th percentile),
    the share answered within the target, and the complaints still open at
    the month's end (at the as-of date for the as-of month).
-#}
with

{{ import_models({'tickets': 'int_service_tickets_timed', 'customers': 'customers'}) }},

segment_dimensions as (

    select dimension_values.segment_dimension
    from (values ('all'), ('value_tier'), ('customer_type')) as dimension_values (segment_dimension)

),

-- Every ticket counts once in each segment dimension: all, its customer's
-- value tier, its customer's type.
tickets_by_segment as (

    select
        tickets.ticket_id,
        tickets.category,
        tickets.is_complaint,
        tickets.opened_date,
        tickets.resolved_date,
        tickets.first_response_hours,
        tickets.resolution_hours,
        tickets.as_of_date,
        cast({{ dbt.date_trunc('month', 'tickets.opened_date') }} as date) as opened_month,
        segment_dimensions.segment_dimension,
        case segment_dimensions.segment_dimension
            when 'value_tier' then customers.value_tier
            when 'customer_type' then customers.customer_type
            else 'all'
        end as segment_value
    from tickets
    inner join customers
        on tickets.customer_id = customers.customer_id
    cross join segment_dimensions

),

opened_in_month as (

    select
        opened_month,
        segment_dimension,
        segment_value,
        min(as_of_date) as as_of_date,
        count(*) as count_tickets,
        sum(case when category = 'complaint' then 1 else 0 end) as count_complaints,
        sum(case when category = 'inquiry' then 1 else 0 end) as count_inquiries,
        sum(case when category = 'repair' then 1 else 0 end) as count_repairs,
        count(first_response_hours) as count_answered,
        sum(case
            when first_response_hours <= {{ var('service_response_target_hours') }} then 1
            else 0
        end) as count_answered_within_target,
        {{ median('first_response_hours') }} as median_first_response_hours,
        {{ percentile('first_response_hours', 0.9) }} as p90_first_response_hours,
        count(resolution_hours) as count_resolved,
        {{ median('resolution_hours') }} as median_resolution_hours,
        {{ percentile('resolution_hours', 0.9) }} as p90_resolution_hours
    from tickets_by_segment
    group by opened_month, segment_dimension, segment_value

),

-- The backlog is judged at each month's last day, or at the as-of date for
-- the as-of month.
month_ends as (

    select distinct
        opened_month,
        least(
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'opened_month')) }} as date),
            as_of_date
        ) as judged_on
    from opened_in_month

),

open_complaints_at_month_end as (

    select
        month_ends.opened_month,
        complaints.segment_dimension,
        complaints.segment_value,
        count(*) as count_open_complaints
    from month_ends
    inner join tickets_by_segment as complaints
        on month_ends.judged_on >= complaints.opened_date
        and (month_ends.judged_on < complaints.resolved_date or complaints.resolved_date is null)
        and complaints.is_complaint
    group by month_ends.opened_month, complaints.segment_dimension, complaints.segment_value

),

final as (

    select
        opened_in_month.opened_month,
        opened_in_month.segment_dimension,
        opened_in_month.segment_value,
        opened_in_month.as_of_date,
        cast(opened_in_month.count_tickets as integer) as count_tickets,
        cast(opened_in_month.count_complaints as integer) as count_complaints,
        cast(opened_in_month.count_inquiries as integer) as count_inquiries,
        cast(opened_in_month.count_repairs as integer) as count_repairs,
        cast(opened_in_month.count_answered as integer) as count_answered,
        cast(opened_in_month.median_first_response_hours as double)
            as median_first_response_hours,
        cast(opened_in_month.p90_first_response_hours as double)
            as p90_first_response_hours,
        cast(
            1.0 * opened_in_month.count_answered_within_target / opened_in_month.count_tickets
            as double
        ) as share_answered_within_target,
        cast(opened_in_month.count_resolved as integer) as count_resolved,
        cast(opened_in_month.median_resolution_hours as double)
            as median_resolution_hours,
        cast(opened_in_month.p90_resolution_hours as double) as p90_resolution_hours,
        cast(coalesce(open_complaints_at_month_end.count_open_complaints, 0) as integer)
            as count_open_complaints_at_month_end
    from opened_in_month
    left join open_complaints_at_month_end
        on opened_in_month.opened_month = open_complaints_at_month_end.opened_month
        and opened_in_month.segment_dimension = open_complaints_at_month_end.segment_dimension
        and opened_in_month.segment_value = open_complaints_at_month_end.segment_value

)

select * from final
