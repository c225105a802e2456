{#-
    One row per quarantined consent event or suppression and valid customer
    it names: the customer can be named, the rest of the row cannot be
    trusted (an unknown spelling, a time that cannot be read or lies in the
    future, two versions of one row, a customer_id in another letter case
    ...). Until the row is fixed the customer is held back from marketing
    (int_customers_consent_resolved). The customer_id is matched in any
    letter case: `C000123` in an opt-out still names customer `c000123`.
    Rows that name no valid customer (a missing or unknown customer_id,
    lines the CSV reader could not parse) name nobody to hold back.
-#}
with

{{ import_models({
    'customers': 'stg_crm__customers',
    'consent_events': 'base_crm__consent_events',
    'suppressions': 'base_crm__suppressions',
}) }},

quarantined_rows as (

    select
        'consent_events' as source_table,
        raw_consent_event_id as raw_row_id,
        customer_id,
        quarantine_reason
    from consent_events
    where row_status = 'quarantined'

    union all

    select
        'suppressions' as source_table,
        raw_suppression_id as raw_row_id,
        customer_id,
        quarantine_reason
    from suppressions
    where row_status = 'quarantined'

),

final as (

    select
        customers.customer_id,
        quarantined_rows.source_table,
        quarantined_rows.raw_row_id,
        quarantined_rows.quarantine_reason,
        quarantined_rows.source_table || '.' || quarantined_rows.quarantine_reason
            as held_back_reason
    from quarantined_rows
    inner join customers
        on lower(quarantined_rows.customer_id) = lower(customers.customer_id)

)

select * from final
