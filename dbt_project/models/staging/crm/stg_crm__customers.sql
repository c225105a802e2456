{#- One row per valid customer, typed. PII (name, e-mail, phone) stays in base and restricted. -#}
with

base as (

    select * from {{ ref('base_crm__customers') }}
    where row_status = 'valid'

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
        coalesce(is_vip_member, false) as is_vip_member,
        referred_by_customer_id,
        coalesce(marketing_consent, 'none') as marketing_consent,
        marketing_consent_at
    from base

)

select * from final
