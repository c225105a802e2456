{#-
    The table the CLV fit step wrote for model `name` (source clv_fit_step),
    read by the same-named SQL model on engines where dbt runs no Python
    models (docs/architecture.md, "Predictions on every engine").

    `dbt build` alone does not run the fit step: with no table yet the model
    fails saying which command runs it, and otherwise dbt logs a warning that
    the predictions are those of the last fit step, unless the command that
    runs the step set LOYALTY_CLV_FIT_STEP_RAN for this dbt call.
-#}
{% macro clv_fit_step_table(name) %}
    {%- set relation = source('clv_fit_step', name) -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set table = relation.schema ~ "." ~ relation.identifier -%}
        {%- set how = "`python -m orchestration.cli run` (make run) or `python -m orchestration.cli build` (make build), or the Dagster job loyalty_refresh_job" -%}
        {%- set why = "on this target (" ~ target.name ~ ", " ~ target.type ~ ") the predictive CLV models are fitted outside dbt, by the CLV fit step between two dbt selections (dbt runs no Python models on Spark; on DuckDB LOYALTY_CLV_FIT_STEP=1 asks for it)" -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ " reads " ~ table ~ ", and no fit step has written it yet: " ~ why
                ~ ". `dbt build` alone does not run the step: build with " ~ how
                ~ ", which run dbt, the fit step, then dbt again."
            ) }}
        {%- elif env_var('LOYALTY_CLV_FIT_STEP_RAN', '') == '' -%}
            {% do exceptions.warn(
                model.name ~ " reads " ~ table ~ " as the last CLV fit step wrote it: " ~ why
                ~ ", and `dbt build` alone does not refit the predictive models, so the predictions "
                ~ "may be older than this build's data. " ~ how ~ " refit them."
            ) %}
        {%- endif -%}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
