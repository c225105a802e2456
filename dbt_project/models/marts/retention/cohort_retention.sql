{#-
    Acquisition cohorts (month of first purchase) by months since the first
    purchase, up to the as-of date. Active and churned at each month end are
    int_customer_activity_months' (the lifecycle rule as of that day);
    revenue is purchases' net revenue in the month; realised profit adds up
    every order's margin less its cost to serve, the service tickets' cost
    and the campaign contacts' cost, as int_customers_lifetime_value does, so
    the as-of month's cumulative profit is the cohort's realised profit.
    Costs from before the first purchase (a returned order, a ticket) count
    in month 0.
-#}
with

{{ import_models({
    'activity_months': 'int_customer_activity_months', 'purchase_days': 'int_customer_purchase_days',
    'orders': 'int_orders_priced', 'tickets': 'stg_crm__service_tickets',
    'contacts': 'int_contacts_priced',
    'calendar': 'metricflow_time_spine', 'as_of': 'int_as_of_date'
}) }},

cohort_members as (

    select
        customer_id,
        cohort_month
    from activity_months
    where is_first_purchase_month

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as count_cohort_customers
    from cohort_members
    group by cohort_month

),

activity_by_cohort_month as (

    select
        cohort_month,
        activity_month,
        sum(case
            when is_active_at_month_end and not was_active_at_previous_month_end then 1
            when was_active_at_previous_month_end and not is_active_at_month_end then -1
            else 0
        end) as change_in_active_customers,
        sum(case when has_purchase_in_month then 1 else 0 end) as count_purchasing_customers
    from activity_months
    group by cohort_month, activity_month

),

revenue_by_cohort_month as (

    select
        cohort_members.cohort_month,
        cast({{ dbt.date_trunc('month', 'purchase_days.purchase_date') }} as date) as activity_month,
        sum(purchase_days.net_revenue) as net_revenue
    from purchase_days
    inner join cohort_members
        on purchase_days.customer_id = cohort_members.customer_id
    group by
        cohort_members.cohort_month,
        cast({{ dbt.date_trunc('month', 'purchase_days.purchase_date') }} as date)

),

profit_items as (

    select
        orders.customer_id,
        orders.ordered_date as item_date,
        orders.gross_margin - orders.cost_to_serve as realised_profit
    from orders
    cross join as_of
    where orders.ordered_date <= as_of.as_of_date

    union all

    select
        tickets.customer_id,
        cast(tickets.opened_at as date) as item_date,
        -1 * {{ var('cost_to_serve_per_ticket') }} as realised_profit
    from tickets
    cross join as_of
    where cast(tickets.opened_at as date) <= as_of.as_of_date

    union all

    select
        contacts.customer_id,
        contacts.wave_date as item_date,
        -1 * contacts.contact_cost as realised_profit
    from contacts

),

profit_by_cohort_month as (

    select
        cohort_members.cohort_month,
        greatest(
            cast({{ dbt.date_trunc('month', 'profit_items.item_date') }} as date),
            cohort_members.cohort_month
        ) as activity_month,
        sum(profit_items.realised_profit) as realised_profit
    from profit_items
    inner join cohort_members
        on profit_items.customer_id = cohort_members.customer_id
    group by
        cohort_members.cohort_month,
        greatest(
            cast({{ dbt.date_trunc('month', 'profit_items.item_date') }} as date),
            cohort_members.cohort_month
        )

),

cohort_months as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.count_cohort_customers,
        cast(calendar.date_day as date) as activity_month
    from cohort_sizes
    inner join calendar
        on cohort_sizes.cohort_month <= calendar.date_day
    cross join as_of
    where calendar.date_day = cast({{ dbt.date_trunc('month', 'calendar.date_day') }} as date)
        and calendar.date_day <= as_of.as_of_date

),

cumulated as (

    select
        cohort_months.cohort_month,
        cohort_months.activity_month,
        cohort_months.count_cohort_customers,
        sum(coalesce(activity_by_cohort_month.change_in_active_customers, 0)) over (
            partition by cohort_months.cohort_month order by cohort_months.activity_month
            rows between unbounded preceding and current row
        ) as count_active_customers,
        coalesce(activity_by_cohort_month.count_purchasing_customers, 0)
            as count_purchasing_customers,
        coalesce(revenue_by_cohort_month.net_revenue, 0) as net_revenue,
        sum(coalesce(profit_by_cohort_month.realised_profit, 0)) over (
            partition by cohort_months.cohort_month order by cohort_months.activity_month
            rows between unbounded preceding and current row
        ) as cumulative_realised_profit
    from cohort_months
    left join activity_by_cohort_month
        on cohort_months.cohort_month = activity_by_cohort_month.cohort_month
        and cohort_months.activity_month = activity_by_cohort_month.activity_month
    left join revenue_by_cohort_month
        on cohort_months.cohort_month = revenue_by_cohort_month.cohort_month
        and cohort_months.activity_month = revenue_by_cohort_month.activity_month
    left join profit_by_cohort_month
        on cohort_months.cohort_month = profit_by_cohort_month.cohort_month
        and cohort_months.activity_month = profit_by_cohort_month.activity_month

),

final as (

    select
        cumulated.cohort_month,
        cast({{ dbt.datediff('cumulated.cohort_month', 'cumulated.activity_month', 'month') }} as integer)
            as months_since_first_purchase,
        cumulated.activity_month,
        cast(least(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'cumulated.activity_month')) }},
            as_of.as_of_date
        ) as date) as month_end_date,
        cast(cumulated.count_cohort_customers as integer) as count_cohort_customers,
        cast(cumulated.count_active_customers as integer) as count_active_customers,
        cast(
            cumulated.count_active_customers * 1.0 / cumulated.count_cohort_customers as double
        ) as retention_rate,
        cast(cumulated.count_purchasing_customers as integer) as count_purchasing_customers,
        cast(cumulated.net_revenue as decimal(18, 2)) as net_revenue,
        cast(cumulated.net_revenue as double) / cumulated.count_cohort_customers
            as net_revenue_per_customer,
        cast(cumulated.cumulative_realised_profit as decimal(18, 2)) as cumulative_realised_profit,
        cast(cumulated.cumulative_realised_profit as double) / cumulated.count_cohort_customers
            as cumulative_realised_profit_per_customer
    from cumulated
    cross join as_of

)

select * from final
