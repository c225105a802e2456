{#-
    Every raw service ticket row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__service_tickets.yml.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'service_tickets') }},
        {{ raw_source_file('crm', 'service_tickets') }} as source_file
    from {{ source('crm', 'service_tickets') }}

),

-- A ticket about a customer who is not valid cannot be valid itself.
valid_customers as (

    select customer_id
    from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by ticket_id, customer_id, opened_at, category, first_responded_at, resolved_at
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('opened_at') }} as opened_at,
        {{ clean_category('category') }} as category,
        {{ parse_timestamp('first_responded_at') }} as first_responded_at,
        {{ parse_timestamp('resolved_at') }} as resolved_at,
        copy_number,
        source_file,
        ticket_id as raw_ticket_id,
        customer_id as raw_customer_id,
        opened_at as raw_opened_at,
        category as raw_category,
        first_responded_at as raw_first_responded_at,
        resolved_at as raw_resolved_at
    from exact_copies_numbered

),

customers_looked_up as (

    select
        typed.*,
        valid_customers.customer_id is not null as is_customer_valid
    from typed
    left join valid_customers
        on typed.customer_id = valid_customers.customer_id

),

validated as (

    select
        *,
        case
            when ticket_id is null then 'missing_ticket_id'
            when customer_id is null then 'missing_customer_id'
            when {{ is_blank('raw_opened_at') }} then 'missing_opened_at'
            when category is null then 'missing_category'
            when opened_at is null then 'unparsable_opened_at'
            when first_responded_at is null and not {{ is_blank('raw_first_responded_at') }}
                then 'unparsable_first_responded_at'
            when resolved_at is null and not {{ is_blank('raw_resolved_at') }}
                then 'unparsable_resolved_at'
            when category not in ('complaint', 'inquiry', 'repair') then 'unknown_category'
            when first_responded_at < opened_at then 'responded_before_opened'
            when resolved_at < opened_at then 'resolved_before_opened'
            when opened_at > {{ run_started_timestamp() }} then 'future_opened_at'
            when not is_customer_valid then 'unknown_customer'
        end as failed_check
    from customers_looked_up

),

version_candidates_flagged as (

    select
        *,
        copy_number = 1 and failed_check is null as is_version_candidate
    from validated

),

versions_counted as (

    select
        *,
        count(*) over (partition by is_version_candidate, ticket_id) as count_versions
    from version_candidates_flagged

),

final as (

    select
        ticket_id,
        customer_id,
        opened_at,
        category,
        first_responded_at,
        resolved_at,
        {{ row_judgement_columns() }},
        source_file,
        raw_ticket_id,
        raw_customer_id,
        raw_opened_at,
        raw_category,
        raw_first_responded_at,
        raw_resolved_at
    from versions_counted

)

select * from final
