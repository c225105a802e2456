{#-
    Which rows a data test reads (dbt calls this for every generic test).

    dbt's own version applies the test's `where` config. This one also lets a
    large incremental model say, with `meta: {tested_rows: latest_run}`, that
    its tests check what its latest run wrote rather than every row again:

      unique, unique_combination  every row whose key occurs among the rows
                                  of the latest run, so a new row that
                                  repeats an old row's key still fails;
      any other test              the rows of the latest run.

    The latest run is the model's greatest refreshed_at. A full build stamps
    every row with it, so `dbt build --full-refresh` tests every row, and so
    does any run with var `test_all_rows: true`.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if tests_rows_of_latest_run() -%}
        {%- do conditions.append(rows_of_latest_run(relation)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- True when the model this test belongs to asks for tests of its latest run only. -#}
{% macro tests_rows_of_latest_run() -%}
    {%- if not execute or var('test_all_rows', false) or not model.attached_node -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- do return(
        tested is not none
        and tested.config.meta.get('tested_rows') == 'latest_run'
    ) -%}
{%- endmacro %}


{#- The condition that keeps the rows (or keys) of the relation's latest run. -#}
{% macro rows_of_latest_run(relation) -%}
    {%- set latest -%}
        refreshed_at = (select max(refreshed_at) from {{ relation }})
    {%- endset -%}
    {%- set test = model.test_metadata -%}
    {%- set keys = [] -%}
    {%- if test.name == 'unique' -%}
        {%- do keys.append(test.kwargs.column_name) -%}
    {%- elif test.name == 'unique_combination' -%}
        {%- do keys.extend(test.kwargs.columns) -%}
    {%- endif -%}
    {%- if keys -%}
        ({{ keys | join(', ') }}) in (
            select {{ keys | join(', ') }} from {{ relation }} where {{ latest }}
        )
    {%- else -%}
        {{ latest }}
    {%- endif -%}
{%- endmacro %}
