{#-
    Every raw order line row exactly once, typed, with what became of it
    (row_status, quarantine_reason, duplicate_kind). The checks and the order
    in which they run are documented in base_crm__order_lines.yml.

    Incremental: a run reads only files it has not read before, and judges
    again every row of an order_line_key those rows touch, plus the lines of
    orders judged again since this model's last run and lines whose product
    became valid or invalid.
-#}
{{
    config(
        materialized='incremental',
        unique_key='order_line_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
with

arrived as (

    {{ unread_raw_rows('crm', 'order_lines') }}

),

-- The one exception to "no joins in staging": a line of an order or product
-- that is not valid cannot be valid itself, and only the parents' base models
-- know which orders and products exist and which are valid.
valid_products as (

    select product_id
    from {{ ref('base_crm__products') }}
    where row_status = 'valid'

),

{% if is_incremental() -%}
judged_before as (

    select * from {{ this }}

),

orders_judged_since as (

    select order_id
    from {{ ref('base_crm__orders') }}
    where refreshed_at > {{ last_refreshed_at() }}

),

-- Rows judged before whose verdict depends on what changed since: their order
-- was judged again, or the product check (rows that reached it) would now
-- come out differently.
verdicts_to_revisit as (

    select order_line_key
    from judged_before
    where order_id in (select order_id from orders_judged_since)

    union

    select judged_before.order_line_key
    from judged_before
    left join valid_products
        on judged_before.product_id = valid_products.product_id
    where coalesce(judged_before.duplicate_kind, '') <> 'exact_copy'
        and coalesce(judged_before.quarantine_reason, '')
            in ('', 'unknown_product', 'conflicting_versions')
        and (coalesce(judged_before.quarantine_reason, '') = 'unknown_product')
            <> (valid_products.product_id is null)

),

keys_to_judge as (

    select {{ judgement_key('order_line_id') }} as order_line_key from arrived
    union
    select order_line_key from verdicts_to_revisit

),

source as (

    select * from arrived

    union all

    {{ raw_rows_judged_before('crm', 'order_lines') }}
    where order_line_key in (select order_line_key from keys_to_judge)

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
            partition by
                order_line_id, order_id, product_id, quantity, unit_price, unit_cost,
                discount_amount
            order by source_file
        ) as copy_number
    from source

),

typed as (

    select
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        {{ parse_integer('quantity') }} as quantity,
        {{ parse_decimal('unit_price') }} as unit_price,
        {{ parse_decimal('unit_cost') }} as unit_cost,
        {{ parse_decimal('discount_amount') }} as discount_amount,
        copy_number,
        source_file,
        order_line_id as raw_order_line_id,
        order_id as raw_order_id,
        product_id as raw_product_id,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        unit_cost as raw_unit_cost,
        discount_amount as raw_discount_amount
    from exact_copies_numbered

),

-- Whether each order exists and has a valid version (at most one has): in an
-- incremental run only for the few orders of the rows judged, not all orders.
order_verdicts as (

    select
        order_id,
        max(case when row_status = 'valid' then 1 else 0 end) = 1 as is_valid
    from {{ ref('base_crm__orders') }}
    {% if is_incremental() -%}
    where order_id in (select order_id from typed)
    {%- else -%}
    where order_id is not null
    {%- endif %}
    group by order_id

),

parents_looked_up as (

    select
        typed.*,
        order_verdicts.order_id is not null as is_order_known,
        coalesce(order_verdicts.is_valid, false) as is_order_valid,
        valid_products.product_id is not null as is_product_valid
    from typed
    left join order_verdicts
        on typed.order_id = order_verdicts.order_id
    left join valid_products
        on typed.product_id = valid_products.product_id

),

validated as (

    select
        *,
        case
            when order_line_id is null then 'missing_order_line_id'
            when order_id is null then 'missing_order_id'
            when product_id is null then 'missing_product_id'
            when {{ is_blank('raw_quantity') }} then 'missing_quantity'
            when {{ is_blank('raw_unit_price') }} then 'missing_unit_price'
            when quantity is null then 'unparsable_quantity'
            when unit_price is null then 'unparsable_unit_price'
            when unit_cost is null and not {{ is_blank('raw_unit_cost') }}
                then 'unparsable_unit_cost'
            when discount_amount is null and not {{ is_blank('raw_discount_amount') }}
                then 'unparsable_discount_amount'
            when quantity <= 0 then 'non_positive_quantity'
            when unit_price < 0 then 'negative_unit_price'
            when unit_cost < 0 then 'negative_unit_cost'
            when discount_amount < 0 then 'negative_discount'
            when discount_amount > quantity * unit_price then 'discount_exceeds_line_total'
            when not is_order_known then 'unknown_order'
            when not is_order_valid then 'order_quarantined'
            when not is_product_valid then 'unknown_product'
        end as failed_check
    from parents_looked_up

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
        count(*) over (partition by is_version_candidate, order_line_id) as count_versions
    from version_candidates_flagged

),

final as (

    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        unit_cost,
        discount_amount,
        {{ row_judgement_columns() }},
        source_file,
        raw_order_line_id,
        raw_order_id,
        raw_product_id,
        raw_quantity,
        raw_unit_price,
        raw_unit_cost,
        raw_discount_amount,
        {{ judgement_key('raw_order_line_id') }} as order_line_key,
        {{ refreshed_at() }} as refreshed_at
    from versions_counted

)

select * from final
