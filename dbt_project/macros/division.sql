{#-
    Division that gives the same answer on every engine. DuckDB divides
    decimals as doubles; Spark divides them to a fixed scale (6 to 10
    decimals, rounded), which moves a small share by more than 1e-9 and a
    money average by a cent at a half.
-#}

{% macro ratio(numerator, denominator) -%}
    {#- A share or rate: both sides as doubles; null when the denominator is zero. -#}
    (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}

{% macro money_per(amount, count) -%}
    {#-
        A money amount (two decimals at most) per unit of a whole count, in
        cents rounded half away from zero, exactly: the cents are divided as
        whole numbers (quotient and remainder), so no engine's decimal or
        double division decides a half cent. Null when the count is zero.
    -#}
    {%- set cents = 'cast(abs(' ~ amount ~ ') * 100 as bigint)' -%}
    {%- set units = 'nullif(cast(' ~ count ~ ' as bigint), 0)' -%}
    (
        cast(
            case when {{ amount }} < 0 then -1 else 1 end
            * (
                cast(({{ cents }} - {{ cents }} % {{ units }}) / {{ units }} as bigint)
                + case when 2 * ({{ cents }} % {{ units }}) >= {{ units }} then 1 else 0 end
            )
            as decimal(18, 0)
        ) * 0.01
    )
{%- endmacro %}
