{#-
    One row per referred customer with the customer who referred them
    (referred_by_customer_id): the one definition of a referral. A
    self-referral is no referral.
-#}
with

{{ import_models({'customers': 'stg_crm__customers'}) }},

final as (

    select
        customer_id as referred_customer_id,
        referred_by_customer_id as referrer_customer_id
    from customers
    where referred_by_customer_id is not null
        and referred_by_customer_id <> customer_id

)

select * from final
