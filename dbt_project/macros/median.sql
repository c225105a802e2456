{#- The median of an expression inside an aggregate query. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'loyalty_marts')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{#- Spark's exact percentile (linear interpolation, as percentile_cont), also in a window frame. -#}
{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
