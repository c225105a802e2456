{#- A product launched within var new_product_days before the purchase counts as new. -#}
{% macro is_new_product(launched_date, ordered_date) -%}
    coalesce(
        {{ launched_date }} <= {{ ordered_date }}
        and {{ days_between(launched_date, ordered_date) }} <= {{ var('new_product_days') }},
        false
    )
{%- endmacro %}
