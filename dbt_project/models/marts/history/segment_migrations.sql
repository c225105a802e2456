{#-
    Moves between segments from one recorded as-of date to the next, from
    customer_segment_history. A period is each recorded as-of date and the
    one before it (dates back-filled later take their place in the order);
    the first date has no period. Per period and dimension, every customer
    is counted once: by the segment they left and the one they reached,
    with null on the side where they are missing (new to the data, or gone
    from it).
-#}
{%- set dimensions = ['value_tier', 'loyalty_class', 'loyalty_ladder_stage', 'lifecycle_status'] %}
with

{{ import_models({'history': 'customer_segment_history'}) }},

periods as (

    select
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date,
        as_of_date
    from (select distinct as_of_date from history) as recorded_dates

),

segments as (

    {% for dimension in dimensions -%}
    select
        as_of_date,
        customer_id,
        '{{ dimension }}' as segment_dimension,
        {{ dimension }} as segment_value
    from history
    {{ 'union all' if not loop.last }}
    {% endfor %}

),

-- Each period's two dates, so one equi-join finds a customer's segment on both.
period_dates as (

    select
        previous_as_of_date,
        as_of_date,
        previous_as_of_date as segment_date
    from periods
    where previous_as_of_date is not null
    union all
    select
        previous_as_of_date,
        as_of_date,
        as_of_date as segment_date
    from periods
    where previous_as_of_date is not null

),

customer_moves as (

    select
        period_dates.previous_as_of_date,
        period_dates.as_of_date,
        segments.customer_id,
        segments.segment_dimension,
        max(case when segments.as_of_date = period_dates.previous_as_of_date then segments.segment_value end)
            as from_value,
        max(case when segments.as_of_date = period_dates.as_of_date then segments.segment_value end)
            as to_value
    from period_dates
    inner join segments
        on period_dates.segment_date = segments.as_of_date
    group by
        period_dates.previous_as_of_date,
        period_dates.as_of_date,
        segments.customer_id,
        segments.segment_dimension

),

moves_counted as (

    select
        previous_as_of_date,
        as_of_date,
        segment_dimension,
        from_value,
        to_value,
        count(*) as count_customers
    from customer_moves
    group by previous_as_of_date, as_of_date, segment_dimension, from_value, to_value

),

moves_with_starting_segment_size as (

    select
        *,
        sum(count_customers) over (partition by as_of_date, segment_dimension, from_value)
            as count_from_customers
    from moves_counted

),

final as (

    select
        previous_as_of_date,
        as_of_date,
        cast({{ days_between('previous_as_of_date', 'as_of_date') }} as integer) as days_in_period,
        segment_dimension,
        from_value,
        to_value,
        case
            when from_value is null then 'appeared'
            when to_value is null then 'disappeared'
            when from_value = to_value then 'stayed'
            else 'moved'
        end as movement,
        cast(count_customers as integer) as count_customers,
        case
            when from_value is not null then cast(count_customers as double) / count_from_customers
        end as share_of_from_customers
    from moves_with_starting_segment_size

)

select * from final
