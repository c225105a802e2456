{#-
    The customer pyramid (客户金字塔) and RFM beside it.
    Customers are ranked by total lifetime value (ties share a rank):
      platinum  value_rank <= var tier_platinum_top_share x customers
      gold      value_rank <= var tier_gold_top_share x customers
      lead      total lifetime value <= 0, or in the bottom var tier_lead_bottom_share
      iron      everyone else
    RFM scores are quintiles by rank among customers with a purchase: score =
    1 + floor(5 x (rank - 1) / buyers), so ties share the lower score.
-#}
with

{{ import_models({
    'lifetime_value': 'int_customers_lifetime_value',
    'customer_orders': 'int_orders_aggregated_to_customers',
    'purchase_facts': 'int_customers_purchase_facts', 'value_tiers': 'value_tiers',
    'rfm_segments': 'rfm_segments'
}) }},

ranked as (

    select
        customer_id,
        as_of_date,
        total_lifetime_value,
        rank() over (order by total_lifetime_value desc) as value_rank,
        count(*) over () as count_customers,
        cume_dist() over (order by total_lifetime_value) as share_at_or_below
    from lifetime_value

),

tiered as (

    select
        *,
        case
            when total_lifetime_value <= 0 then 'lead'
            when value_rank > count_customers * (1 - {{ var('tier_lead_bottom_share') }}) then 'lead'
            when value_rank <= count_customers * {{ var('tier_platinum_top_share') }} then 'platinum'
            when value_rank <= count_customers * {{ var('tier_gold_top_share') }} then 'gold'
            else 'iron'
        end as value_tier
    from ranked

),

buyers as (

    select
        purchase_facts.customer_id,
        purchase_facts.days_since_last_purchase as recency_days,
        purchase_facts.count_purchases as frequency_purchases,
        customer_orders.net_revenue as monetary_revenue,
        rank() over (order by purchase_facts.days_since_last_purchase desc) as recency_rank,
        rank() over (order by purchase_facts.count_purchases) as frequency_rank,
        rank() over (order by customer_orders.net_revenue) as monetary_rank,
        count(*) over () as count_buyers
    from purchase_facts
    inner join customer_orders using (customer_id)

),

rfm_scored as (

    select
        customer_id,
        recency_days,
        frequency_purchases,
        monetary_revenue,
        1 + cast(floor(5.0 * (recency_rank - 1) / count_buyers) as integer) as recency_score,
        1 + cast(floor(5.0 * (frequency_rank - 1) / count_buyers) as integer) as frequency_score,
        1 + cast(floor(5.0 * (monetary_rank - 1) / count_buyers) as integer) as monetary_score
    from buyers

),

final as (

    select
        tiered.customer_id,
        tiered.as_of_date,
        tiered.total_lifetime_value,
        cast(tiered.value_rank as integer) as value_rank,
        cast(round(100 * tiered.share_at_or_below, 2) as double) as value_percentile,
        tiered.value_tier,
        value_tiers.value_tier_label_zh,
        cast(rfm_scored.recency_days as integer) as recency_days,
        cast(rfm_scored.frequency_purchases as integer) as frequency_purchases,
        cast(rfm_scored.monetary_revenue as decimal(18, 2)) as monetary_revenue,
        rfm_scored.recency_score,
        rfm_scored.frequency_score,
        rfm_scored.monetary_score,
        {{ dbt.concat([
            'cast(rfm_scored.recency_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm_scored.frequency_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm_scored.monetary_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_cell,
        coalesce(rfm_segments.rfm_segment, 'no_purchases') as rfm_segment,
        coalesce(rfm_segments.rfm_segment_label_zh, '未购买') as rfm_segment_label_zh
    from tiered
    inner join value_tiers
        on tiered.value_tier = value_tiers.value_tier
    left join rfm_scored using (customer_id)
    left join rfm_segments
        on rfm_scored.recency_score = rfm_segments.recency_score
        and rfm_scored.frequency_score = rfm_segments.frequency_score

)

select * from final
