{#-
    Every raw customer row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__customers.yml.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'customers') }},
        {{ raw_source_file('crm', 'customers') }} as source_file
    from {{ source('crm', 'customers') }}

),

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by
                customer_id, created_at, customer_type, region, city, gender, birth_year,
                income_band, acquisition_channel, is_vip_member, referred_by_customer_id,
                marketing_consent, marketing_consent_at, full_name, email, phone
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('created_at') }} as created_at,
        {{ clean_category('customer_type') }} as customer_type,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        {{ clean_category('gender') }} as gender,
        {{ parse_integer('birth_year') }} as birth_year,
        {{ clean_category('income_band') }} as income_band,
        {{ clean_category('acquisition_channel') }} as acquisition_channel,
        {{ parse_boolean('is_vip_member') }} as is_vip_member,
        {{ clean_text('referred_by_customer_id') }} as referred_by_customer_id,
        {{ clean_category('marketing_consent') }} as marketing_consent,
        {{ parse_timestamp('marketing_consent_at') }} as marketing_consent_at,
        {{ clean_text('full_name') }} as full_name,
        {{ clean_text('email') }} as email,
        {{ clean_text('phone') }} as phone,
        copy_number,
        source_file,
        customer_id as raw_customer_id,
        created_at as raw_created_at,
        customer_type as raw_customer_type,
        region as raw_region,
        city as raw_city,
        gender as raw_gender,
        birth_year as raw_birth_year,
        income_band as raw_income_band,
        acquisition_channel as raw_acquisition_channel,
        is_vip_member as raw_is_vip_member,
        referred_by_customer_id as raw_referred_by_customer_id,
        marketing_consent as raw_marketing_consent,
        marketing_consent_at as raw_marketing_consent_at,
        full_name as raw_full_name,
        email as raw_email,
        phone as raw_phone
    from exact_copies_numbered

),

validated as (

    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when {{ is_blank('raw_created_at') }} then 'missing_created_at'
            when customer_type is null then 'missing_customer_type'
            when created_at is null then 'unparsable_created_at'
            when birth_year is null and not {{ is_blank('raw_birth_year') }}
                then 'unparsable_birth_year'
            when is_vip_member is null and not {{ is_blank('raw_is_vip_member') }}
                then 'unparsable_is_vip_member'
            when marketing_consent_at is null and not {{ is_blank('raw_marketing_consent_at') }}
                then 'unparsable_marketing_consent_at'
            when customer_type not in ('consumer', 'buyer', 'business', 'intermediary', 'agent')
                then 'unknown_customer_type'
            when marketing_consent not in ('opt_in', 'opt_out') then 'invalid_marketing_consent'
            when birth_year not between 1900 and {{ run_started_at.year }} then 'invalid_birth_year'
            when created_at > {{ run_started_timestamp() }} then 'future_created_at'
            when marketing_consent_at > {{ run_started_timestamp() }}
                then 'future_marketing_consent_at'
        end as failed_check
    from typed

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
        count(*) over (partition by is_version_candidate, customer_id) as count_versions
    from version_candidates_flagged

),

final as (

    select
        customer_id,
        created_at,
        customer_type,
        region,
        city,
        gender,
        birth_year,
        income_band,
        acquisition_channel,
        is_vip_member,
        referred_by_customer_id,
        marketing_consent,
        marketing_consent_at,
        full_name,
        email,
        phone,
        {{ row_judgement_columns() }},
        source_file,
        raw_customer_id,
        raw_created_at,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_gender,
        raw_birth_year,
        raw_income_band,
        raw_acquisition_channel,
        raw_is_vip_member,
        raw_referred_by_customer_id,
        raw_marketing_consent,
        raw_marketing_consent_at,
        raw_full_name,
        raw_email,
        raw_phone
    from versions_counted

)

select * from final
