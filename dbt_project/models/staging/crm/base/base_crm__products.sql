{#-
    Every raw product row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__products.yml.
-#}
with

source as (

    select
        {{ raw_columns('crm', 'products') }},
        {{ raw_source_file('crm', 'products') }} as source_file
    from {{ source('crm', 'products') }}

),

exact_copies_numbered as (

    select
        *,
        row_number() over (
            partition by product_id, product_name, category, launched_date, usage_cycle_days
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_category('category') }} as category,
        {{ parse_date('launched_date') }} as launched_date,
        {{ parse_integer('usage_cycle_days') }} as usage_cycle_days,
        copy_number,
        source_file,
        product_id as raw_product_id,
        product_name as raw_product_name,
        category as raw_category,
        launched_date as raw_launched_date,
        usage_cycle_days as raw_usage_cycle_days
    from exact_copies_numbered

),

validated as (

    select
        *,
        case
            when product_id is null then 'missing_product_id'
            when category is null then 'missing_category'
            when launched_date is null and not {{ is_blank('raw_launched_date') }}
                then 'unparsable_launched_date'
            when usage_cycle_days is null and not {{ is_blank('raw_usage_cycle_days') }}
                then 'unparsable_usage_cycle_days'
            when usage_cycle_days <= 0 then 'invalid_usage_cycle_days'
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
        count(*) over (partition by is_version_candidate, product_id) as count_versions
    from version_candidates_flagged

),

final as (

    select
        product_id,
        product_name,
        category,
        launched_date,
        usage_cycle_days,
        {{ row_judgement_columns() }},
        source_file,
        raw_product_id,
        raw_product_name,
        raw_category,
        raw_launched_date,
        raw_usage_cycle_days
    from versions_counted

)

select * from final
