{#-
    Column types on Spark. The YAML (model contracts, the raw contract) names
    types as DuckDB does; Spark has no varchar without a length and names
    text `string`, and no `double`. dbt casts to a contract's types
    with dbt.cast (its empty-schema query), so this spark__cast, found before
    dbt-spark's, reads every type through spark_type.
-#}
{% macro spark_type(data_type) -%}
    {%- set name = data_type | string | trim | lower -%}
    {%- if name in ('varchar', 'text') -%}
        string
    {%- elif name == 'double' -%}
        double
    {%- else -%}
        {{ data_type }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}

{#-
    The same for dbt.safe_cast, with which dbt writes a unit test's mocked
    rows (`cast(null as varchar)` for a column a row leaves out); otherwise
    as dbt-spark's (a struct, array or map is not cast from its quoted text).
-#}
{% macro spark__safe_cast(field, type) -%}
    {%- set kind = (type | string | trim | lower)[:6] -%}
    {%- set unquoted = kind.startswith('struct') or kind.startswith('array') or kind.startswith('map') -%}
    {%- set field_clean = field.strip('"').strip("'") if (unquoted and field is string) else field -%}
    cast({{ field_clean }} as {{ spark_type(type) }})
{%- endmacro %}


{#-
    dbt's listagg on Spark ignores its order by (dbt-spark warns), so text
    lists came out in any order. This one sorts by the order by expression
    (one expression, ascending), then by the value.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set sort_key = (order_by_clause or '') | trim -%}
    {%- if sort_key.lower().startswith('order by ') -%}
        {%- set sort_key = sort_key[9:] | trim -%}
    {%- endif -%}
    {%- set sorted_values -%}
        transform(
            array_sort(collect_list(struct({{ sort_key or measure }} as sort_key, {{ measure }} as list_value))),
            entry -> entry.list_value
        )
    {%- endset -%}
    {%- if limit_num -%}
        array_join(slice({{ sorted_values }}, 1, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
        array_join({{ sorted_values }}, {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}


{#-
    Seed rows on Spark as literals. dbt-spark's session method puts each
    value between quotes without escaping the quotes inside it (a seed's
    "an agent's time" broke the insert) and loads an empty value as the
    text 'None'; here every value is a Spark string literal cast to the
    column's type, and an empty one is null.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
            (
                {%- for col_name in agate_table.column_names -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- set value = row[loop.index0] -%}
                cast({{ 'null' if value is none else spark_sql_text(value) }} as {{ spark_type(type) }})
                {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
            ){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
