{#-
    One row per valid customer: their marketing consent as of now. Every
    consent answer counts as an event: the consent_events export and the
    customers export's own marketing_consent (recorded at
    marketing_consent_at, else created_at). The latest event wins; at the
    same moment opt_out wins. No event: none (never asked, never agreed).
-#}
with

{{ import_models({'customers': 'stg_crm__customers', 'consent_events': 'stg_crm__consent_events'}) }},

events as (

    select
        customer_id,
        consent,
        recorded_at,
        'consent_events' as consent_source
    from consent_events

    union all

    select
        customer_id,
        marketing_consent as consent,
        coalesce(marketing_consent_at, created_at) as recorded_at,
        'customers' as consent_source
    from customers
    where marketing_consent in ('opt_in', 'opt_out')

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by recorded_at desc, case when consent = 'opt_out' then 0 else 1 end
        ) as recency_rank
    from events

),

final as (

    select
        customers.customer_id,
        coalesce(ranked.consent, 'none') as marketing_consent,
        ranked.recorded_at as marketing_consent_at,
        ranked.consent_source
    from customers
    left join ranked
        on customers.customer_id = ranked.customer_id
        and ranked.recency_rank = 1

)

select * from final
