{#-
    One row per valid suppression: customers marketing must not contact
    (asked not to be contacted, bounced, complaint being handled), from
    suppressed_at until lifted_at (open-ended when empty). Schema
    `restricted`; the campaign lists apply it on the day of each wave.
-#}
with

suppressions as (

    select * from {{ ref('stg_crm__suppressions') }}

),

final as (

    select
        suppression_id,
        customer_id,
        reason,
        suppressed_at,
        lifted_at
    from suppressions

)

select * from final
