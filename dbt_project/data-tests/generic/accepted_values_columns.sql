{#-
    Generic test (on a model): each of several columns holds only its
    accepted values, in one read of the model. `values` maps each column to
    its list of accepted values; a null is accepted, as dbt's
    accepted_values accepts it. It stands for an accepted_values test per
    column: every model and seed with two or more such columns tests them
    with one accepted_values_columns test (named
    accepted_values_columns_<model>), so a build runs one test, and Dagster
    records one check, instead of one per column. Text values are quoted,
    numbers are not (accepted_values' quote: false). Failing rows: each
    combination of the columns' values in which at least one value is not
    accepted, with its number of rows.
-#}
{% test accepted_values_columns(model, values) %}

select
    {%- for column in values %}
    {{ column }},
    {%- endfor %}
    count(*) as n_records
from {{ model }}
where
    {%- for column, accepted in values.items() %}
    {{ 'or ' if not loop.first }}{{ column }} not in (
        {%- for value in accepted -%}
            {{ value if value is number else "'" ~ value ~ "'" }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
    {%- endfor %}
group by
    {%- for column in values %}
    {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}

{% endtest %}
