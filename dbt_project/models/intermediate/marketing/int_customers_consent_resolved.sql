{#-
    One row per valid customer: their marketing consent as of now. Every
    consent answer counts as an event: the consent_events export and the
    customers export's own marketing_consent (recorded at
    marketing_consent_at, else created_at). The latest event wins; at the
    same moment opt_out wins. No event: none (never asked, never agreed).
    Consent fails closed: a customer with a consent event or suppression
    that cannot be trusted (int_consent_rows_held_back) is held_back,
    whatever the other rows say, until the row is fixed.
-#}
with

{{ import_models({
    'customers': 'stg_crm__customers',
    'consent_events': 'stg_crm__consent_events',
    'rows_held_back': 'int_consent_rows_held_back',
}) }},

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

held_back_reasons as (

    select distinct
        customer_id,
        held_back_reason
    from rows_held_back

),

held_back_customers as (

    select
        customer_id,
        {{ dbt.listagg('held_back_reason', "', '", 'order by held_back_reason') }}
            as held_back_reasons
    from held_back_reasons
    group by customer_id

),

final as (

    select
        customers.customer_id,
        case
            when held_back_customers.customer_id is not null then 'held_back'
            else coalesce(ranked.consent, 'none')
        end as marketing_consent,
        case when held_back_customers.customer_id is null then ranked.recorded_at end
            as marketing_consent_at,
        case when held_back_customers.customer_id is null then ranked.consent_source end
            as consent_source,
        held_back_customers.held_back_reasons
    from customers
    left join ranked
        on customers.customer_id = ranked.customer_id
        and ranked.recency_rank = 1
    left join held_back_customers
        on customers.customer_id = held_back_customers.customer_id

)

select * from final
