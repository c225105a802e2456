{#-
    VIP members against everyone else: their share of customers, revenue and
    profit, and two checks that the card rewards loyalty rather than bargain
    hunting: the share of true loyalty and the discount taken per unit of
    gross revenue.
-#}
with

{{ import_models({
    'customers': 'customers', 'customer_orders': 'int_orders_aggregated_to_customers'
}) }},

by_membership as (

    select
        customers.is_vip_member,
        min(customers.as_of_date) as as_of_date,
        count(*) as count_customers,
        sum(case when customers.count_purchases > 0 then 1 else 0 end) as count_purchasers,
        sum(case when customers.is_repeat_purchaser then 1 else 0 end) as count_repeat_purchasers,
        sum(case when customers.loyalty_class = 'true_loyalty' then 1 else 0 end)
            as count_true_loyalty,
        sum(customers.realised_revenue) as realised_revenue,
        sum(customers.realised_profit) as realised_profit,
        sum(coalesce(customer_orders.discount_amount, 0)) as discount_amount,
        sum(coalesce(customer_orders.gross_revenue, 0)) as gross_revenue
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    group by customers.is_vip_member

),

with_totals as (

    select
        *,
        sum(count_customers) over () as all_customers,
        sum(realised_revenue) over () as all_revenue,
        sum(realised_profit) over () as all_profit
    from by_membership

),

final as (

    select
        is_vip_member,
        case when is_vip_member then 'VIP会员' else '非会员' end as membership_label_zh,
        as_of_date,
        cast(count_customers as integer) as count_customers,
        cast(count_customers * 1.0 / all_customers as double) as customer_share,
        cast(count_purchasers as integer) as count_purchasers,
        cast(realised_revenue as decimal(18, 2)) as realised_revenue,
        {{ ratio('realised_revenue', 'all_revenue') }} as revenue_share,
        cast(realised_profit as decimal(18, 2)) as realised_profit,
        {{ ratio('realised_profit', 'all_profit') }} as profit_share,
        cast({{ money_per('realised_revenue', 'count_customers') }} as decimal(18, 2)) as revenue_per_customer,
        cast({{ money_per('realised_profit', 'count_customers') }} as decimal(18, 2)) as profit_per_customer,
        cast(count_repeat_purchasers * 1.0 / count_customers as double)
            as repeat_purchaser_share,
        cast(count_true_loyalty * 1.0 / count_customers as double) as true_loyalty_share,
        {{ ratio('discount_amount', 'gross_revenue') }} as discount_rate
    from with_totals

)

select * from final
