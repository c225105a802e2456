{#-
    One row per customer type and value tier: how many customers, how much
    margin, and the relationship level Kotler's matrix picks for the segment,
    with the level of relationship marketing and the actions that fit it
    (docs/marts.md). Customers with at least one purchase only.
-#}
with

{{ import_models({
    'customers': 'customers', 'matrix': 'kotler_relationship_matrix',
    'levels': 'relationship_levels'
}) }},

buyers as (

    select
        customer_type,
        value_tier,
        realised_profit
    from customers
    where count_purchases > 0

),

segments as (

    select
        customer_type,
        value_tier,
        count(*) as count_customers,
        sum(realised_profit) as realised_profit
    from buyers
    group by customer_type, value_tier

),

base as (

    select
        count(*) as count_customers,
        -- Divided as doubles on every engine (Spark divides decimals to a fixed scale).
        cast(sum(realised_profit) as double) / count(*) as profit_per_customer
    from buyers

),

banded as (

    select
        segments.customer_type,
        segments.value_tier,
        segments.count_customers,
        segments.realised_profit,
        cast(segments.count_customers as double) / base.count_customers as customer_share,
        cast(segments.realised_profit as double) / segments.count_customers as profit_per_customer,
        case
            when base.profit_per_customer > 0
                then
                    (cast(segments.realised_profit as double) / segments.count_customers)
                    / base.profit_per_customer
        end as margin_ratio
    from segments
    cross join base

),

classified as (

    select
        *,
        case
            when customer_share >= {{ var('relationship_many_customers_min_share') }} then 'many'
            when customer_share <= {{ var('relationship_few_customers_max_share') }} then 'few'
            else 'medium'
        end as customer_count_band,
        case
            when margin_ratio >= {{ var('relationship_high_margin_min_ratio') }} then 'high'
            when margin_ratio is null
                or margin_ratio <= {{ var('relationship_low_margin_max_ratio') }} then 'low'
            else 'medium'
        end as margin_band
    from banded

),

final as (

    select
        classified.customer_type,
        classified.value_tier,
        cast(classified.count_customers as integer) as count_customers,
        cast(classified.customer_share as double) as customer_share,
        cast(classified.realised_profit as decimal(18, 2)) as realised_profit,
        cast({{ money_per('classified.realised_profit', 'classified.count_customers') }} as decimal(18, 2))
            as profit_per_customer,
        cast(classified.margin_ratio as double) as margin_ratio,
        classified.customer_count_band,
        classified.margin_band,
        matrix.relationship_level,
        levels.relationship_level_zh,
        cast(levels.relationship_marketing_level as integer) as relationship_marketing_level,
        levels.relationship_marketing_name,
        levels.relationship_marketing_name_zh,
        levels.recommended_actions,
        levels.recommended_actions_zh
    from classified
    inner join matrix
        on classified.customer_count_band = matrix.customer_count_band
        and classified.margin_band = matrix.margin_band
    inner join levels
        on matrix.relationship_level = levels.relationship_level

)

select * from final
