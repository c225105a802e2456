{#-
    One row per valid customer, typed (macros/staged_valid_rows.sql). PII
    (name, e-mail, phone) stays in base and restricted.
-#}
{{ staged_valid_rows(
    'customers',
    replace={
        'is_vip_member': 'coalesce(is_vip_member, false)',
        'marketing_consent': "coalesce(marketing_consent, 'none')",
    },
    exclude=['full_name', 'email', 'phone'],
) }}
