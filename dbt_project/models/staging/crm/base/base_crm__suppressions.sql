{#-
    Every raw suppression row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). Checks, first failing
    wins: missing_suppression_id, missing_customer_id, missing_suppressed_at,
    unparsable_suppressed_at, unparsable_lifted_at, unknown_reason,
    lifted_before_suppressed, unknown_customer; two different rows with one
    id: conflicting_versions.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'suppressions') }},
        {{ raw_source_file('crm', 'suppressions') }} as source_file
    from {{ source('crm', 'suppressions') }}

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
            partition by suppression_id, customer_id, reason, suppressed_at, lifted_at
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('suppression_id') }} as suppression_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_category('reason') }} as reason,
        {{ parse_timestamp('suppressed_at') }} as suppressed_at,
        {{ parse_timestamp('lifted_at') }} as lifted_at,
        copy_number,
        source_file,
        suppression_id as raw_suppression_id,
        customer_id as raw_customer_id,
        reason as raw_reason,
        suppressed_at as raw_suppressed_at,
        lifted_at as raw_lifted_at
    from exact_copies_numbered

),

validated as (

    select
        typed.*,
        case
            when typed.suppression_id is null then 'missing_suppression_id'
            when typed.customer_id is null then 'missing_customer_id'
            when {{ is_blank('typed.raw_suppressed_at') }} then 'missing_suppressed_at'
            when typed.suppressed_at is null then 'unparsable_suppressed_at'
            when typed.lifted_at is null and not {{ is_blank('typed.raw_lifted_at') }}
                then 'unparsable_lifted_at'
            when typed.reason is null
                or typed.reason not in ('do_not_contact', 'bounced', 'complaint_handling')
                then 'unknown_reason'
            when typed.lifted_at < typed.suppressed_at then 'lifted_before_suppressed'
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
            partition by copy_number = 1 and failed_check is null, suppression_id
        ) as count_versions
    from validated

),

final as (

    select
        suppression_id,
        customer_id,
        reason,
        suppressed_at,
        lifted_at,
        {{ row_judgement_columns() }},
        source_file,
        raw_suppression_id,
        raw_customer_id,
        raw_reason,
        raw_suppressed_at,
        raw_lifted_at
    from versions_counted

)

select * from final
