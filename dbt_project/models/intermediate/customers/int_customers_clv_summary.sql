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
      margin_rate   gross margin / net revenue over all purchase days
      cost_to_serve_per_purchase
                    mean order cost to serve per purchase day
    Margin and cost to serve are applied to the predicted spend afterwards.

    One row per customer with at least one purchase.
-#}
with

{{ import_models({
    'purchase_facts': 'int_customers_purchase_facts',
    'purchase_days': 'int_customer_purchase_days'
}) }},

purchase_days_aggregated as (

    select
        customer_id,
        -- Decimal sums (exact on every engine) divided as doubles: Spark divides
        -- decimals to a fixed scale, DuckDB as doubles (docs/spark.md).
        cast(sum(case when purchase_number > 1 then net_revenue end) as double)
        / count(case when purchase_number > 1 then net_revenue end) as mean_repeat_spend,
        cast(sum(gross_margin) as double) / cast(sum(net_revenue) as double) as margin_rate,
        cast(sum(cost_to_serve) as double) / count(cost_to_serve) as cost_to_serve_per_purchase
    from purchase_days
    group by customer_id

),

final as (

    select
        purchase_facts.customer_id,
        purchase_facts.as_of_date,
        purchase_facts.count_repeat_purchases as frequency,
        cast(
            {{ days_between('purchase_facts.first_purchase_date', 'purchase_facts.last_purchase_date') }}
            as double
        ) / 7.0 as recency_weeks,
        cast(purchase_facts.tenure_days as double) / 7.0 as age_weeks,
        cast(purchase_days_aggregated.mean_repeat_spend as double) as mean_repeat_spend,
        cast(purchase_days_aggregated.margin_rate as double) as margin_rate,
        cast(purchase_days_aggregated.cost_to_serve_per_purchase as double)
            as cost_to_serve_per_purchase
    from purchase_facts
    inner join purchase_days_aggregated
        on purchase_facts.customer_id = purchase_days_aggregated.customer_id

)

select * from final
