{#-
    One row per customer with at least one purchase day on or before the
    as-of date: the purchase facts every other customer model uses, each
    defined here once.

      count_purchases       purchase days (int_customer_purchase_days)
      is_repeat_purchaser   has a second purchase day
      first / second / last purchase_date
      tenure_days           first purchase day to the as-of date
      days_since_last_purchase (recency)
      purchase intervals    days between consecutive purchase days
      rhythm_days           the customer's own rhythm, their median interval,
                            once they have var rhythm_min_intervals intervals
                            (has_own_rhythm); else var
                            default_purchase_interval_days
-#}
with

{{ import_models({'purchase_days': 'int_customer_purchase_days', 'as_of': 'int_as_of_date'}) }},

aggregated as (

    select
        cast(count(*) as integer) as count_purchases,
        purchase_days.customer_id,
        sum(case
            when {{ days_between('purchase_days.purchase_date', 'as_of.as_of_date') }}
                < {{ var('behaviour_lookback_days') }}
                then 1
            else 0
        end) as count_purchases_in_lookback,
        min(purchase_days.purchase_date) as first_purchase_date,
        min(case when purchase_days.purchase_number = 2 then purchase_days.purchase_date end)
            as second_purchase_date,
        max(purchase_days.purchase_date) as last_purchase_date,
        count(purchase_days.days_since_previous_purchase) as count_purchase_intervals,
        {{ median('purchase_days.days_since_previous_purchase') }} as median_purchase_interval_days,
        avg(purchase_days.days_since_previous_purchase) as mean_purchase_interval_days
    from purchase_days
    cross join as_of
    group by purchase_days.customer_id

),

final as (

    select
        aggregated.customer_id,
        as_of.as_of_date,
        cast(aggregated.count_purchases as integer) as count_purchases,
        cast(aggregated.count_purchases - 1 as integer) as count_repeat_purchases,
        aggregated.count_purchases >= 2 as is_repeat_purchaser,
        cast(aggregated.count_purchases_in_lookback as integer) as count_purchases_in_lookback,
        aggregated.first_purchase_date,
        aggregated.second_purchase_date,
        aggregated.last_purchase_date,
        cast({{ days_between('aggregated.first_purchase_date', 'as_of.as_of_date') }} as integer)
            as tenure_days,
        cast({{ days_between('aggregated.last_purchase_date', 'as_of.as_of_date') }} as integer)
            as days_since_last_purchase,
        cast(aggregated.count_purchase_intervals as integer) as count_purchase_intervals,
        cast(aggregated.median_purchase_interval_days as double)
            as median_purchase_interval_days,
        cast(aggregated.mean_purchase_interval_days as double)
            as mean_purchase_interval_days,
        aggregated.count_purchase_intervals >= {{ var('rhythm_min_intervals') }} as has_own_rhythm,
        cast(
            case
                when aggregated.count_purchase_intervals >= {{ var('rhythm_min_intervals') }}
                    then aggregated.median_purchase_interval_days
                else {{ var('default_purchase_interval_days') }}
            end as double
        ) as rhythm_days
    from aggregated
    cross join as_of

)

select * from final
