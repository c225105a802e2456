{#-
    Word of mouth: the value a customer brings beyond their own purchases.
    Each referred customer's realised profit is credited to the customer who
    referred them (referred_by_customer_id), one level only: what the
    referred customers in turn referred stays with them.
-#}
with

{{ import_models({'customers': 'customers', 'customer_referrals': 'int_customer_referrals'}) }},

referred as (

    select
        customer_referrals.referrer_customer_id as customer_id,
        count(*) as count_referred_customers,
        sum(case when customers.count_purchases > 0 then 1 else 0 end) as count_referred_purchasers,
        sum(customers.realised_revenue) as referred_realised_revenue,
        sum(customers.realised_profit) as referred_realised_profit,
        sum(customers.total_lifetime_value) as referred_total_lifetime_value
    from customer_referrals
    inner join customers
        on customer_referrals.referred_customer_id = customers.customer_id
    group by customer_referrals.referrer_customer_id

),

final as (

    select
        referrers.customer_id,
        referrers.as_of_date,
        referrers.value_tier,
        referrers.is_vip_member,
        cast(referred.count_referred_customers as integer) as count_referred_customers,
        cast(referred.count_referred_purchasers as integer) as count_referred_purchasers,
        cast(referred.referred_realised_revenue as decimal(18, 2)) as referred_realised_revenue,
        cast(referred.referred_realised_profit as decimal(18, 2)) as referred_realised_profit,
        cast(referred.referred_total_lifetime_value as decimal(18, 2))
            as referred_total_lifetime_value,
        referrers.realised_profit as own_realised_profit,
        cast(referrers.realised_profit + referred.referred_realised_profit as decimal(18, 2))
            as realised_profit_with_referrals
    from referred
    inner join customers as referrers
        on referred.customer_id = referrers.customer_id

)

select * from final
