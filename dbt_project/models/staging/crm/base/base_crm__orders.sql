{#-
    Every raw order row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__orders.yml. An order
    exported again with a later updated_at supersedes the earlier row.

    Incremental: a run reads only files it has not read before, and judges
    again every row of an order_key those rows touch, plus rows whose verdict
    may have changed since (a customer became valid or invalid, a future
    timestamp is no longer in the future).
-#}
{{
    config(
        materialized='incremental',
        unique_key='order_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
with

arrived as (

    {{ unread_raw_rows('crm', 'orders') }}

),

-- The one exception to "no joins in staging": a row that points to a customer
-- who is not valid cannot be valid itself, and only the parent's base model
-- knows which customers are valid (one row per customer_id).
valid_customers as (

    select customer_id
    from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

{% if is_incremental() -%}
judged_before as (

    select * from {{ this }}

),

-- Rows judged before whose verdict depends on what changed since: the customer
-- check (rows that reached it) and the clock (future timestamps).
verdicts_to_revisit as (

    select judged_before.order_key
    from judged_before
    left join valid_customers
        on judged_before.customer_id = valid_customers.customer_id
    where coalesce(judged_before.duplicate_kind, '') <> 'exact_copy'
        and coalesce(judged_before.quarantine_reason, '')
            in ('', 'unknown_customer', 'conflicting_versions')
        and (coalesce(judged_before.quarantine_reason, '') = 'unknown_customer')
            <> (valid_customers.customer_id is null)

    union

    select order_key
    from judged_before
    where quarantine_reason in ('future_ordered_at', 'future_updated_at')

),

keys_to_judge as (

    select {{ judgement_key('order_id') }} as order_key from arrived
    union
    select order_key from verdicts_to_revisit

),

source as (

    select * from arrived

    union all

    {{ raw_rows_judged_before('crm', 'orders') }}
    where order_key in (select order_key from keys_to_judge)

),
{%- else -%}
source as (

    select * from arrived

),
{%- endif %}

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by order_id, customer_id, ordered_at, status, channel, updated_at
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('ordered_at') }} as ordered_at,
        {{ clean_category('status') }} as status,
        {{ clean_category('channel') }} as channel,
        {{ parse_timestamp('updated_at') }} as updated_at,
        copy_number,
        source_file,
        order_id as raw_order_id,
        customer_id as raw_customer_id,
        ordered_at as raw_ordered_at,
        status as raw_status,
        channel as raw_channel,
        updated_at as raw_updated_at
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
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            when {{ is_blank('raw_ordered_at') }} then 'missing_ordered_at'
            when status is null then 'missing_status'
            when ordered_at is null then 'unparsable_ordered_at'
            when updated_at is null and not {{ is_blank('raw_updated_at') }}
                then 'unparsable_updated_at'
            when status not in ('completed', 'cancelled', 'returned') then 'unknown_status'
            when ordered_at > {{ run_started_timestamp() }} then 'future_ordered_at'
            when updated_at > {{ run_started_timestamp() }} then 'future_updated_at'
            when not is_customer_valid then 'unknown_customer'
        end as failed_check
    from customers_looked_up

),

version_candidates_flagged as (

    select
        *,
        copy_number = 1 and failed_check is null as is_version_candidate,
        coalesce(updated_at, ordered_at) as version_at
    from validated

),

versions_ranked as (

    select
        *,
        rank() over (
            partition by is_version_candidate, order_id
            order by version_at desc
        ) as version_rank
    from version_candidates_flagged

),

-- Two different rows share the newest version: which one is right is unknown.
conflicts_flagged as (

    select
        *,
        sum(case when version_rank = 1 then 1 else 0 end) over (
            partition by is_version_candidate, order_id
        ) > 1 as has_conflicting_versions
    from versions_ranked

),

final as (

    select
        order_id,
        customer_id,
        ordered_at,
        status,
        channel,
        updated_at,
        case
            when copy_number > 1 then 'duplicate'
            when failed_check is not null then 'quarantined'
            when has_conflicting_versions then 'quarantined'
            when version_rank > 1 then 'duplicate'
            else 'valid'
        end as row_status,
        case
            when copy_number > 1 then null
            when failed_check is not null then failed_check
            when has_conflicting_versions then 'conflicting_versions'
        end as quarantine_reason,
        case
            when copy_number > 1 then 'exact_copy'
            when failed_check is not null then null
            when has_conflicting_versions then null
            when version_rank > 1 then 'superseded_version'
        end as duplicate_kind,
        source_file,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_status,
        raw_channel,
        raw_updated_at,
        {{ judgement_key('raw_order_id') }} as order_key,
        {{ refreshed_at() }} as refreshed_at
    from conflicts_flagged

)

select * from final
