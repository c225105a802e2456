{#-
    Days without a purchase after which a customer passes a lifecycle
    threshold: factor x their own median interval between purchase days
    (never below var lifecycle_rhythm_min_days) when they have a rhythm of
    their own, else fallback_days.
-#}
{% macro rhythm_threshold_days(factor, fallback_days) -%}
    case
        when has_own_rhythm
            then greatest({{ var('lifecycle_rhythm_min_days') }}, {{ factor }} * median_purchase_interval_days)
        else {{ fallback_days }}
    end
{%- endmacro %}
