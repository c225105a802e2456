{#- Computed once, in int_customers_tiered; this mart publishes its columns. -#}
with

tiered as (

    select * from {{ ref('int_customers_tiered') }}

),

final as (

    select
        customer_id,
        as_of_date,
        total_lifetime_value,
        value_rank,
        value_percentile,
        value_tier,
        value_tier_label_zh,
        recency_days,
        frequency_purchases,
        monetary_revenue,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_cell,
        rfm_segment,
        rfm_segment_label_zh
    from tiered

)

select * from final
