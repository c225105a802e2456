{#-
    Stand-ins for the project's macros (dbt_project/macros) when sqlfluff
    renders a model: each renders SQL of the kind the real one does (an
    expression, a list of `when` lines, a query) so the model parses; what a
    macro renders is not linted (see lint/dbt_context/__init__.py).
-#}
{% macro judge_raw_rows(table_name, key, checks, parents={}, latest_version_by=none, keys_to_revisit=none, spellings=none) %}select 1 as judged_row{% endmacro %}
{% macro row_fingerprint(columns) %}hash({{ columns | join(', ') }}){% endmacro %}
{% macro quarantined_rows(table_name) %}select 1 as quarantined_row{% endmacro %}
{% macro missing(columns) %}when false then 'missing'{% endmacro %}
{% macro unparsable(columns) %}when false then 'unparsable'{% endmacro %}
{% macro in_future(columns, tolerance_minutes=0) %}when false then 'future'{% endmacro %}
{% macro keys_whose_parent_check_changed(column, parent_model, reason) %}select 1 as judged_key{% endmacro %}
{% macro spelling_key(expression) %}lower({{ expression }}){% endmacro %}
{% macro is_blank(expression) %}({{ expression }} is null){% endmacro %}
{% macro days_between(start_expression, end_expression) %}datediff('day', {{ start_expression }}, {{ end_expression }}){% endmacro %}
{% macro median(expression) %}median({{ expression }}){% endmacro %}
{% macro percentile(expression, fraction) %}quantile_cont({{ expression }}, {{ fraction }}){% endmacro %}
{% macro is_new_product(launched_date, ordered_date) %}({{ launched_date }} <= {{ ordered_date }}){% endmacro %}
{% macro monthly_annuity_factor(months, annual_rate) %}1.0{% endmacro %}
{% macro refreshed_at() %}current_timestamp{% endmacro %}
{% macro last_refreshed_at() %}current_timestamp{% endmacro %}
{% macro customers_refreshed_upstream(model_names) %}select 1 as customer_id{% endmacro %}
{% macro delete_rows_of_refreshed_customers(model_names) %}{% endmacro %}
{% macro staged_valid_rows(table_name, replace={}, exclude=[], add={}) %}select 1 as valid_row{% endmacro %}
{% macro raw_csv_files(table_name) %}{{ table_name }}*.csv{% endmacro %}
{% macro import_models(models) -%}{%- for cte_name, model_name in models.items() %}{{ cte_name }} as (select 1 as imported){{ ',' if not loop.last }}{% endfor -%}{%- endmacro %}
{% macro rhythm_threshold_days(factor, fallback_days) %}{{ fallback_days }}{% endmacro %}
{% macro of_customers_in_scope(customers_cte) %}customer_id in (select {{ customers_cte }}.customer_id from {{ customers_cte }}){% endmacro %}
{% macro confidence_bounds(estimate, standard_error, name) %}{{ estimate }} as {{ name }}_lower, {{ estimate }} as {{ name }}_upper{% endmacro %}
{% macro welch_standard_error(variance, group_a, group_b) %}sqrt({{ group_a }}.{{ variance }}){% endmacro %}
{% macro empty_text_columns(names) %}cast(null as varchar) as {{ names[0] }}{% endmacro %}
{% macro survey_answer_counts() %}count(*) as count_responses{% endmacro %}
{% macro clv_fit_step_table(name) %}clv_fit_step.{{ name }}{% endmacro %}
{% macro csv_files_as_text(columns, pattern, file_paths) %}select {{ columns | join(', ') }} from read_csv('{{ pattern }}'){% endmacro %}
{% macro ratio(numerator, denominator) %}({{ numerator }} / {{ denominator }}){% endmacro %}
{% macro money_per(amount, count) %}({{ amount }} / {{ count }}){% endmacro %}
