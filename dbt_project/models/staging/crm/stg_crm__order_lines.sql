{#- One row per valid order line, typed; an empty discount is 0, an empty unit cost is 0 and flagged. -#}
{{ config(materialized="view") }}

with

base as (

    select * from {{ ref('base_crm__order_lines') }}
    where row_status = 'valid'

),

final as (

    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        coalesce(unit_cost, 0) as unit_cost,
        coalesce(discount_amount, 0) as discount_amount,
        unit_cost is null as is_unit_cost_missing,
        refreshed_at
    from base

)

select * from final
