{#-
    The headline figures of value concentration, one row:
    the share of realised profit brought by the top var
    concentration_top_share of customers (the 80/20 rule) and what the bottom
    var concentration_bottom_share do to it (Kotler's 20/80/30 rule: often
    they cost half of it). The same shares on realised revenue (customers
    ranked by revenue), the figure the 80/20 rule is usually quoted on.
-#}
with

ranked as (

    select * from {{ ref('int_customers_ranked_by_profit') }}

),

aggregated as (

    select
        min(as_of_date) as as_of_date,
        count(*) as count_customers,
        sum(realised_profit) as total_realised_profit,
        sum(case
            when profit_rank <= count_customers * {{ var('concentration_top_share') }}
                then realised_profit
            else 0
        end) as top_customers_profit,
        sum(case
            when profit_rank > count_customers * (1 - {{ var('concentration_bottom_share') }})
                then realised_profit
            else 0
        end) as bottom_customers_profit,
        sum(case when realised_profit < 0 then 1 else 0 end) as count_unprofitable_customers,
        sum(case when realised_profit < 0 then realised_profit else 0 end)
            as unprofitable_customers_profit,
        max(cumulative_realised_profit) as peak_cumulative_profit,
        sum(realised_revenue) as total_realised_revenue,
        sum(case
            when revenue_rank <= count_customers * {{ var('concentration_top_share') }}
                then realised_revenue
            else 0
        end) as top_customers_revenue,
        sum(case
            when revenue_rank > count_customers * (1 - {{ var('concentration_bottom_share') }})
                then realised_revenue
            else 0
        end) as bottom_customers_revenue
    from ranked

),

final as (

    select
        as_of_date,
        cast(count_customers as integer) as count_customers,
        cast(total_realised_profit as decimal(18, 2)) as total_realised_profit,
        cast({{ var('concentration_top_share') }} as double) as top_customer_share,
        cast(top_customers_profit as decimal(18, 2)) as top_customers_profit,
        {{ ratio('top_customers_profit', 'total_realised_profit') }}
            as top_customers_profit_share,
        cast({{ var('concentration_bottom_share') }} as double) as bottom_customer_share,
        cast(bottom_customers_profit as decimal(18, 2)) as bottom_customers_profit,
        {{ ratio('bottom_customers_profit', 'total_realised_profit') }}
            as bottom_customers_profit_share,
        cast(count_unprofitable_customers as integer) as count_unprofitable_customers,
        cast(unprofitable_customers_profit as decimal(18, 2)) as unprofitable_customers_profit,
        cast(peak_cumulative_profit as decimal(18, 2)) as peak_cumulative_profit,
        {{ ratio('peak_cumulative_profit', 'total_realised_profit') }}
            as peak_cumulative_profit_share,
        cast(total_realised_revenue as decimal(18, 2)) as total_realised_revenue,
        cast(top_customers_revenue as decimal(18, 2)) as top_customers_revenue,
        {{ ratio('top_customers_revenue', 'total_realised_revenue') }}
            as top_customers_revenue_share,
        cast(bottom_customers_revenue as decimal(18, 2)) as bottom_customers_revenue,
        {{ ratio('bottom_customers_revenue', 'total_realised_revenue') }}
            as bottom_customers_revenue_share
    from aggregated

)

select * from final
