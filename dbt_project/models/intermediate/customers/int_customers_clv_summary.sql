{#-
    The per-customer summary the predictive lifetime value models read
    (BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma), as of the as-of date, in
    WEEKS, from the purchase facts:

      frequency     repeat purchases: purchase days after the first
      recency_weeks weeks from the first to the last purchase day
      age_weeks     weeks from the first purchase day to the as-of date (T)
      mean_repeat_spend
                    mean net revenue of the repeat purchase days (what
                    Gamma-Gamma is fitted on); null without repeats
      mean_repeat_margin
                    mean of net revenue - product cost - order cost to
                    serve over the repeat purchase days; null without repeats

    One row per customer with at least one purchase.
-#}
with

purchase_facts as (

    select * from {{ ref('int_customers_purchase_facts') }}

),

purchase_days as (

    select * from {{ ref('int_customer_purchase_days') }}

),

repeat_purchases_aggregated as (

    select
        customer_id,
        avg(net_revenue) as mean_repeat_spend,
        avg(margin_after_cost_to_serve) as mean_repeat_margin
    from purchase_days
    where purchase_number > 1
    group by customer_id

),

final as (

    select
        purchase_facts.customer_id,
        purchase_facts.as_of_date,
        purchase_facts.count_repeat_purchases as frequency,
        cast(
            {{ days_between('purchase_facts.first_purchase_date', 'purchase_facts.last_purchase_date') }}
            / 7.0 as double precision
        ) as recency_weeks,
        cast(purchase_facts.tenure_days / 7.0 as double precision) as age_weeks,
        cast(repeat_purchases_aggregated.mean_repeat_spend as double precision) as mean_repeat_spend,
        cast(repeat_purchases_aggregated.mean_repeat_margin as double precision)
            as mean_repeat_margin
    from purchase_facts
    left join repeat_purchases_aggregated
        on purchase_facts.customer_id = repeat_purchases_aggregated.customer_id

)

select * from final
