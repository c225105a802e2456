{#-
    One row per customer and product category bought on at least
    var repurchase_min_purchases days: the customer's repurchase cycle and the
    date the next purchase is expected (proactive service).
-#}
with

{{ import_models({'purchase_days': 'int_category_purchase_days', 'as_of': 'int_as_of_date'}) }},

cycles as (

    select
        purchase_days.customer_id,
        purchase_days.category,
        count(*) as count_purchases,
        min(purchase_days.purchase_date) as first_purchase_date,
        max(purchase_days.purchase_date) as last_purchase_date,
        {{ median('purchase_days.days_since_previous_purchase') }} as median_interval_days,
        avg(cast(purchase_days.days_since_previous_purchase as double)) as mean_interval_days,
        stddev_samp(cast(purchase_days.days_since_previous_purchase as double)) as stddev_interval_days
    from purchase_days
    where purchase_days.purchase_date <= (select as_of.as_of_date from as_of)
    group by purchase_days.customer_id, purchase_days.category
    having count(*) >= {{ var('repurchase_min_purchases') }}

),

expected as (

    select
        cycles.*,
        cast(round(cycles.median_interval_days) as {{ dbt.type_int() }}) as expected_interval_days,
        -- Coefficient of variation: how much the intervals spread around their mean.
        case
            when cycles.mean_interval_days > 0 then cycles.stddev_interval_days / cycles.mean_interval_days
        end as interval_variation
    from cycles

),

dated as (

    select
        expected.*,
        cast(
            {{ dbt.dateadd('day', 'expected_interval_days', 'last_purchase_date') }} as date
        ) as expected_next_purchase_date,
        as_of.as_of_date
    from expected
    cross join as_of

),

final as (

    select
        customer_id,
        category,
        as_of_date,
        cast(count_purchases as integer) as count_purchases,
        first_purchase_date,
        last_purchase_date,
        cast(median_interval_days as double) as median_interval_days,
        cast(mean_interval_days as double) as mean_interval_days,
        cast(stddev_interval_days as double) as stddev_interval_days,
        cast(interval_variation as double) as interval_variation,
        coalesce(
            interval_variation <= {{ var('repurchase_regular_max_variation') }}
            and median_interval_days >= {{ var('repurchase_min_interval_days') }},
            false
        ) as is_regular,
        expected_next_purchase_date,
        cast({{ days_between('expected_next_purchase_date', 'as_of_date') }} as integer)
            as days_overdue
    from dated

)

select * from final
