{#-
    The per-customer summary the predictive lifetime value models read
    (BG/NBD and Gamma-Gamma), as of the as-of date, in WEEKS:

      frequency     repeat purchases: purchase days after the first one
                    (several orders on one day are one purchase)
      recency_weeks weeks from the first to the last purchase day
      age_weeks     weeks from the first purchase day to the as-of date (T)
      mean_repeat_margin
                    mean margin of the repeat purchase days: net revenue -
                    product cost - order cost to serve; null without repeats

    One row per customer with at least one completed purchase.
-#}
with

orders as (

    select * from {{ ref('int_orders_priced') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

purchases_in_scope as (

    select orders.*
    from orders
    cross join as_of
    where orders.is_purchase
        and orders.ordered_date <= as_of.as_of_date

),

purchase_days as (

    select
        customer_id,
        ordered_date as purchase_date,
        sum(gross_margin - cost_to_serve) as margin,
        row_number() over (partition by customer_id order by ordered_date) as purchase_number
    from purchases_in_scope
    group by customer_id, ordered_date

),

summarised as (

    select
        customer_id,
        count(*) - 1 as frequency,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        avg(case when purchase_number > 1 then margin end) as mean_repeat_margin,
        sum(margin) as total_margin
    from purchase_days
    group by customer_id

),

final as (

    select
        summarised.customer_id,
        as_of.as_of_date,
        cast(summarised.frequency as integer) as frequency,
        cast(
            {{ days_between('summarised.first_purchase_date', 'summarised.last_purchase_date') }} / 7.0
            as double precision
        ) as recency_weeks,
        cast(
            {{ days_between('summarised.first_purchase_date', 'as_of.as_of_date') }} / 7.0
            as double precision
        ) as age_weeks,
        cast(summarised.mean_repeat_margin as double precision) as mean_repeat_margin,
        cast(summarised.total_margin as double precision) as total_margin
    from summarised
    cross join as_of

)

select * from final
