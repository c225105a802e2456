{#-
    One row per customer and month in which the customer purchased or
    churned, on or before the as-of date: whether they are active at the
    month's end and were at the previous month's end. Between two such
    months nothing changes, so these rows are every change of state.

    Churned is the lifecycle rule (int_customers_lifecycle_assessed, seed
    lifecycle_rules) applied as of every day: a customer is churned once the
    days since their last purchase day pass churned_after_days, computed
    from the rhythm they had at that purchase (their median interval so far,
    once they have var rhythm_min_intervals intervals; else var
    lifecycle_churned_days). Long overdue is churned whatever the purchase
    model says (the seed's rule), so this needs no model refitted per month.
    Active = has purchased and is not churned. A purchase makes the customer
    active again: a churned customer who buys is reactivated.
-#}
with

{{ import_models({'purchase_days': 'int_customer_purchase_days', 'as_of': 'int_as_of_date'}) }},

rhythm_so_far as (

    select
        customer_id,
        purchase_date,
        purchase_number - 1 >= {{ var('rhythm_min_intervals') }} as has_own_rhythm,
        {{ median('days_since_previous_purchase') }} over (
            partition by customer_id order by purchase_date
            rows between unbounded preceding and current row
        ) as median_purchase_interval_days,
        lead(purchase_date) over (partition by customer_id order by purchase_date)
            as next_purchase_date
    from purchase_days

),

churn_dates as (

    select
        customer_id,
        purchase_date,
        next_purchase_date,
        -- churned once the days since this purchase exceed the threshold
        cast({{ dbt.dateadd(
            'day',
            'floor(' ~ rhythm_threshold_days(var('lifecycle_rhythm_churned_factor'), var('lifecycle_churned_days')) ~ ') + 1',
            'purchase_date'
        ) }} as date) as churn_date
    from rhythm_so_far

),

events as (

    select
        customer_id,
        purchase_date as event_date,
        true as is_purchase
    from purchase_days

    union all

    select
        churn_dates.customer_id,
        churn_dates.churn_date as event_date,
        false as is_purchase
    from churn_dates
    cross join as_of
    where churn_dates.churn_date <= as_of.as_of_date
        and (
            churn_dates.next_purchase_date is null
            or churn_dates.churn_date < churn_dates.next_purchase_date
        )

),

events_in_months as (

    select
        customer_id,
        event_date,
        is_purchase,
        cast({{ dbt.date_trunc('month', 'event_date') }} as date) as activity_month,
        min(event_date) over (partition by customer_id) as first_purchase_date,
        row_number() over (
            partition by customer_id, {{ dbt.date_trunc('month', 'event_date') }}
            order by event_date desc
        ) as rank_from_month_end,
        max(case when is_purchase then 1 else 0 end) over (
            partition by customer_id, {{ dbt.date_trunc('month', 'event_date') }}
        ) = 1 as has_purchase_in_month
    from events

),

month_ends as (

    select
        customer_id,
        activity_month,
        cast({{ dbt.date_trunc('month', 'first_purchase_date') }} as date) as cohort_month,
        has_purchase_in_month,
        is_purchase as is_active_at_month_end
    from events_in_months
    where rank_from_month_end = 1

),

final as (

    select
        customer_id,
        activity_month,
        cohort_month,
        activity_month = cohort_month as is_first_purchase_month,
        has_purchase_in_month,
        is_active_at_month_end,
        coalesce(
            lag(is_active_at_month_end) over (partition by customer_id order by activity_month),
            false
        ) as was_active_at_previous_month_end
    from month_ends

)

select * from final
