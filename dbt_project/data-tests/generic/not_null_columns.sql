{#-
    Generic test (on a model): none of `columns` is null, in one read of the
    model. On a large table it stands for a not_null test per column, each
    of which would read the table again. Failing rows show those columns.
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where
    {%- for column in columns %}
    {{ 'or ' if not loop.first }}{{ column }} is null
    {%- endfor %}

{% endtest %}
