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

segments_before as (

    select
        periods.previous_as_of_date,
        periods.as_of_date,
        segments.customer_id,
        segments.segment_dimension,
        segments.segment_value
    from periods
    inner join segments
        on periods.previous_as_of_date = segments.as_of_date

),

segments_after as (

    select
        periods.previous_as_of_date,
        periods.as_of_date,
        segments.customer_id,
        segments.segment_dimension,
        segments.segment_value
    from periods
    inner join segments
        on periods.as_of_date = segments.as_of_date
    where periods.previous_as_of_date is not null

),

customer_moves as (

    select
        coalesce(segments_before.previous_as_of_date, segments_after.previous_as_of_date)
            as previous_as_of_date,
        coalesce(segments_before.as_of_date, segments_after.as_of_date) as as_of_date,
        coalesce(segments_before.segment_dimension, segments_after.segment_dimension)
            as segment_dimension,
        segments_before.segment_value as from_value,
        segments_after.segment_value as to_value
    from segments_before
    full outer join segments_after
        on segments_before.as_of_date = segments_after.as_of_date
        and segments_before.customer_id = segments_after.customer_id
        and segments_before.segment_dimension = segments_after.segment_dimension

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
            when from_value is not null then count_customers * 1.0 / count_from_customers
        end as share_of_from_customers
    from moves_with_starting_segment_size

)

select * from final
