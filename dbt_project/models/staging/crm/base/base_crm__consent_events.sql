{#-
    Every raw consent event row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). Checks, first failing
    wins: missing_consent_event_id, missing_customer_id, missing_recorded_at,
    unparsable_recorded_at, invalid_consent, future_recorded_at,
    unknown_customer; two different rows with one id: conflicting_versions.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'consent_events') }},
        {{ raw_source_file('crm', 'consent_events') }} as source_file
    from {{ source('crm', 'consent_events') }}

),

valid_customers as (

    select customer_id
    from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by consent_event_id, customer_id, consent, recorded_at, channel
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('consent_event_id') }} as consent_event_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_category('consent') }} as consent,
        {{ parse_timestamp('recorded_at') }} as recorded_at,
        {{ clean_category('channel') }} as channel,
        copy_number,
        source_file,
        consent_event_id as raw_consent_event_id,
        customer_id as raw_customer_id,
        consent as raw_consent,
        recorded_at as raw_recorded_at,
        channel as raw_channel
    from exact_copies_numbered

),

validated as (

    select
        typed.*,
        case
            when typed.consent_event_id is null then 'missing_consent_event_id'
            when typed.customer_id is null then 'missing_customer_id'
            when {{ is_blank('typed.raw_recorded_at') }} then 'missing_recorded_at'
            when typed.recorded_at is null then 'unparsable_recorded_at'
            when typed.consent is null or typed.consent not in ('opt_in', 'opt_out')
                then 'invalid_consent'
            when typed.recorded_at > {{ run_started_timestamp() }} then 'future_recorded_at'
            when valid_customers.customer_id is null then 'unknown_customer'
        end as failed_check
    from typed
    left join valid_customers
        on typed.customer_id = valid_customers.customer_id

),

versions_counted as (

    select
        *,
        count(*) over (
            partition by copy_number = 1 and failed_check is null, consent_event_id
        ) as count_versions
    from validated

),

final as (

    select
        consent_event_id,
        customer_id,
        consent,
        recorded_at,
        channel,
        {{ row_judgement_columns() }},
        source_file,
        raw_consent_event_id,
        raw_customer_id,
        raw_consent,
        raw_recorded_at,
        raw_channel
    from versions_counted

)

select * from final
