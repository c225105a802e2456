{#-
    Every raw survey response row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__survey_responses.yml.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'survey_responses') }},
        {{ raw_source_file('crm', 'survey_responses') }} as source_file
    from {{ source('crm', 'survey_responses') }}

),

-- A response about a customer who is not valid cannot be valid itself.
valid_customers as (

    select customer_id
    from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

),

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by
                response_id, customer_id, responded_at, csat_score, nps_score, trust_score,
                preference_score, repurchase_intent_score, comment
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('responded_at') }} as responded_at,
        {{ parse_integer('csat_score') }} as csat_score,
        {{ parse_integer('nps_score') }} as nps_score,
        {{ parse_integer('trust_score') }} as trust_score,
        {{ parse_integer('preference_score') }} as preference_score,
        {{ parse_integer('repurchase_intent_score') }} as repurchase_intent_score,
        {{ clean_text('comment') }} as comment,
        copy_number,
        source_file,
        response_id as raw_response_id,
        customer_id as raw_customer_id,
        responded_at as raw_responded_at,
        csat_score as raw_csat_score,
        nps_score as raw_nps_score,
        trust_score as raw_trust_score,
        preference_score as raw_preference_score,
        repurchase_intent_score as raw_repurchase_intent_score,
        comment as raw_comment
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
            when response_id is null then 'missing_response_id'
            when customer_id is null then 'missing_customer_id'
            when {{ is_blank('raw_responded_at') }} then 'missing_responded_at'
            when responded_at is null then 'unparsable_responded_at'
            when csat_score is null and not {{ is_blank('raw_csat_score') }}
                then 'unparsable_csat_score'
            when nps_score is null and not {{ is_blank('raw_nps_score') }}
                then 'unparsable_nps_score'
            when (trust_score is null and not {{ is_blank('raw_trust_score') }})
                or (preference_score is null and not {{ is_blank('raw_preference_score') }})
                or (repurchase_intent_score is null and not {{ is_blank('raw_repurchase_intent_score') }})
                then 'unparsable_likert_score'
            when csat_score not between 1 and 5 then 'csat_out_of_range'
            when nps_score not between 0 and 10 then 'nps_out_of_range'
            when trust_score not between 1 and 5
                or preference_score not between 1 and 5
                or repurchase_intent_score not between 1 and 5
                then 'likert_out_of_range'
            when responded_at > {{ run_started_timestamp() }} then 'future_responded_at'
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
        count(*) over (partition by is_version_candidate, response_id) as count_versions
    from version_candidates_flagged

),

final as (

    select
        response_id,
        customer_id,
        responded_at,
        csat_score,
        nps_score,
        trust_score,
        preference_score,
        repurchase_intent_score,
        comment,
        {{ row_judgement_columns() }},
        source_file,
        raw_response_id,
        raw_customer_id,
        raw_responded_at,
        raw_csat_score,
        raw_nps_score,
        raw_trust_score,
        raw_preference_score,
        raw_repurchase_intent_score,
        raw_comment
    from versions_counted

)

select * from final
