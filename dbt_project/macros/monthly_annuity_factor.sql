{#-
    Present value of 1 received at the end of each month for `months` months,
    discounted at an annual rate converted to its monthly equivalent
    ((1 + annual) ^ (1/12) - 1): potential value is discounted month by
    month.
-#}
{% macro monthly_annuity_factor(months, annual_rate) -%}
    {%- set monthly_rate = (1 + annual_rate | float) ** (1 / 12) - 1 -%}
    {%- if monthly_rate == 0 -%}
        {{ months }}
    {%- else -%}
        {{ (1 - (1 + monthly_rate) ** (-(months | int))) / monthly_rate }}
    {%- endif -%}
{%- endmacro %}
