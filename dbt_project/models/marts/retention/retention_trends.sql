{#-
    Churn, retention and active customers as of every month end, by value
    tier and customer type (and 'all' for each), from the changes of state in
    int_customer_activity_months. Counts add up across segments, so the
    'all' rows sum the segments' counts; rates are computed after.

      active(month)   = active(previous month) + new + reactivated - newly churned
      churn_rate      = churned / customers who have purchased (as customer_lifecycle)
      retention_rate  = active at both month ends / active at the previous month end
-#}
with

{{ import_models({
    'activity_months': 'int_customer_activity_months', 'customers': 'stg_crm__customers',
    'segment_tiers': 'int_customers_tiered', 'calendar': 'metricflow_time_spine',
    'as_of': 'int_as_of_date'
}) }},

changes_by_segment as (

    select
        activity_months.activity_month,
        segment_tiers.value_tier,
        customers.customer_type,
        sum(case when activity_months.is_first_purchase_month then 1 else 0 end)
            as count_new_customers,
        sum(case
            when activity_months.is_active_at_month_end
                and not activity_months.was_active_at_previous_month_end
                and not activity_months.is_first_purchase_month
                then 1
            else 0
        end) as count_reactivated_customers,
        sum(case
            when activity_months.was_active_at_previous_month_end
                and not activity_months.is_active_at_month_end
                then 1
            else 0
        end) as count_newly_churned_customers
    from activity_months
    inner join customers
        on activity_months.customer_id = customers.customer_id
    inner join segment_tiers
        on activity_months.customer_id = segment_tiers.customer_id
    group by activity_months.activity_month, segment_tiers.value_tier, customers.customer_type

),

months as (

    select cast(calendar.date_day as date) as month_start_date
    from calendar
    cross join as_of
    where calendar.date_day = cast({{ dbt.date_trunc('month', 'calendar.date_day') }} as date)
        and calendar.date_day >= (select min(activity_months.activity_month) from activity_months)
        and calendar.date_day <= as_of.as_of_date

),

segments as (

    select distinct
        value_tier,
        customer_type
    from changes_by_segment

),

segment_months as (

    select
        months.month_start_date,
        segments.value_tier,
        segments.customer_type,
        coalesce(changes_by_segment.count_new_customers, 0) as count_new_customers,
        coalesce(changes_by_segment.count_reactivated_customers, 0) as count_reactivated_customers,
        coalesce(changes_by_segment.count_newly_churned_customers, 0)
            as count_newly_churned_customers
    from months
    cross join segments
    left join changes_by_segment
        on months.month_start_date = changes_by_segment.activity_month
        and segments.value_tier = changes_by_segment.value_tier
        and segments.customer_type = changes_by_segment.customer_type

),

cumulated as (

    select
        *,
        sum(count_new_customers) over (
            partition by value_tier, customer_type order by month_start_date
            rows between unbounded preceding and current row
        ) as count_purchased_customers,
        sum(count_new_customers + count_reactivated_customers - count_newly_churned_customers) over (
            partition by value_tier, customer_type order by month_start_date
            rows between unbounded preceding and current row
        ) as count_active_customers
    from segment_months

),

rolled_up as (

    select
        month_start_date,
        case when grouping(value_tier) = 1 then 'all' else value_tier end as value_tier,
        case when grouping(customer_type) = 1 then 'all' else customer_type end as customer_type,
        sum(count_purchased_customers) as count_purchased_customers,
        sum(count_active_customers) as count_active_customers,
        sum(count_new_customers) as count_new_customers,
        sum(count_reactivated_customers) as count_reactivated_customers,
        sum(count_newly_churned_customers) as count_newly_churned_customers
    from cumulated
    group by grouping sets (
        (month_start_date, value_tier, customer_type),
        (month_start_date, value_tier),
        (month_start_date, customer_type),
        (month_start_date)
    )

),

with_start_of_month as (

    select
        *,
        count_active_customers - count_new_customers - count_reactivated_customers
        + count_newly_churned_customers as count_active_at_month_start
    from rolled_up
    where count_purchased_customers > 0

),

final as (

    select
        with_start_of_month.month_start_date,
        cast(least(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'with_start_of_month.month_start_date')) }},
            as_of.as_of_date
        ) as date) as month_end_date,
        with_start_of_month.value_tier,
        with_start_of_month.customer_type,
        cast(with_start_of_month.count_purchased_customers as integer) as count_purchased_customers,
        cast(with_start_of_month.count_active_customers as integer) as count_active_customers,
        cast(
            with_start_of_month.count_purchased_customers - with_start_of_month.count_active_customers
            as integer
        ) as count_churned_customers,
        cast(
            cast(
                with_start_of_month.count_purchased_customers - with_start_of_month.count_active_customers
                as double
            ) / with_start_of_month.count_purchased_customers
            as double
        ) as churn_rate,
        cast(with_start_of_month.count_active_at_month_start as integer) as count_active_at_month_start,
        cast(
            with_start_of_month.count_active_at_month_start
            - with_start_of_month.count_newly_churned_customers
            as integer
        ) as count_retained_customers,
        cast(
            cast(
                with_start_of_month.count_active_at_month_start
                - with_start_of_month.count_newly_churned_customers
                as double
            ) / nullif(with_start_of_month.count_active_at_month_start, 0)
            as double
        ) as retention_rate,
        cast(with_start_of_month.count_new_customers as integer) as count_new_customers,
        cast(with_start_of_month.count_reactivated_customers as integer) as count_reactivated_customers,
        cast(with_start_of_month.count_newly_churned_customers as integer)
            as count_newly_churned_customers
    from with_start_of_month
    cross join as_of

)

select * from final
