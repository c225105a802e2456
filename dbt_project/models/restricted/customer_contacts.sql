{#-
    One row per valid customer with the personal data needed to reach them
    (name, e-mail, phone) and their marketing consent as it holds now
    (int_customers_consent_resolved: the latest answer wins, opt_out wins
    ties, an untrusted consent row holds the customer back). Schema `restricted`: never published to the BI file; campaign
    exports join it at the edge.
-#}
with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

consent as (

    select * from {{ ref('int_customers_consent_resolved') }}

),

final as (

    select
        customers.customer_id,
        customers.full_name,
        customers.email,
        customers.phone,
        consent.marketing_consent,
        consent.marketing_consent_at,
        consent.held_back_reasons
    from customers
    inner join consent
        on customers.customer_id = consent.customer_id

)

select * from final
