{#-
    The import CTEs a model starts from, one per model it reads:
    import_models({'orders': 'int_orders_priced', 'as_of': 'int_as_of_date'})
    renders `orders as (select * from <int_orders_priced>), as_of as (...)`.
    One call instead of a block of look-alike CTEs in every file; the
    dependencies are still refs, so the lineage graph is the same.
-#}
{% macro import_models(models) -%}
    {%- for cte_name, model_name in models.items() %}
{{ cte_name }} as (

    select * from {{ ref(model_name) }}

){{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
