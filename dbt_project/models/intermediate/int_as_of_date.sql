{#-
    The single date every mart is computed as of, so rebuilds give the
    same numbers. The var `as_of_date` wins; otherwise the date of the latest
    valid order in the data, never the wall clock.
-#}
with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

latest_order as (

    select max(cast(ordered_at as date)) as latest_order_date
    from orders

),

final as (

    select
        {% if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date) as as_of_date,
        {%- else -%}
        latest_order_date as as_of_date,
        {%- endif %}
        latest_order_date,
        {{ 'true' if var('as_of_date') else 'false' }} as is_as_of_date_configured
    from latest_order

)

select * from final
