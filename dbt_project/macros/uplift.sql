{#-
    Two columns, <name>_lower and <name>_upper: the normal-approximation
    confidence interval of an estimate, var campaign_confidence_z standard
    errors either side.
-#}
{% macro confidence_bounds(estimate, standard_error, name) -%}
    cast({{ estimate }} - {{ var('campaign_confidence_z') }} * {{ standard_error }} as double)
        as {{ name }}_lower,
    cast({{ estimate }} + {{ var('campaign_confidence_z') }} * {{ standard_error }} as double)
        as {{ name }}_upper
{%- endmacro %}


{#-
    The standard error of a difference of two group means (Welch): each
    group's own variance of its mean, summed. `variance` names the column
    holding each group's sample variance, `count_customers` its size.
-#}
{% macro welch_standard_error(variance, group_a, group_b) -%}
    sqrt(
        coalesce({{ group_a }}.{{ variance }}, 0) / {{ group_a }}.count_customers
        + coalesce({{ group_b }}.{{ variance }}, 0) / {{ group_b }}.count_customers
    )
{%- endmacro %}
