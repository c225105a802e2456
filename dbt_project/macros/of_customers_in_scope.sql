{#-
    The condition an incremental customer-grain model puts on the rows it
    reads: in an incremental run, only the customers in customers_cte (those
    whose rows changed upstream); in a full build, every row.
-#}
{% macro of_customers_in_scope(customers_cte) -%}
    {%- if is_incremental() -%}
        customer_id in (select {{ customers_cte }}.customer_id from {{ customers_cte }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
