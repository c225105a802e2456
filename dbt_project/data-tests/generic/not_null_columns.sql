{#-
    Generic test (on a model): none of `columns` is null, in one read of the
    model. It stands for a not_null test per column: every model and seed
    tests its never-null columns with one not_null_columns test (named
    not_null_columns_<model>) when it has two or more, so a build runs one
    test, and Dagster records one check, instead of one per column; a
    not_null test per column would read the table again each time. Failing
    rows show those columns.
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where
    {%- for column in columns %}
    {{ 'or ' if not loop.first }}{{ column }} is null
    {%- endfor %}

{% endtest %}
