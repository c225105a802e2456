{#-
    Where dbt runs no Python models (Spark; or LOYALTY_CLV_FIT_STEP=1): the
    predictions the CLV fit step made with
    orchestration.clv.tables.predicted_value, as the DuckDB Python model of
    the same name makes them (docs/architecture.md, "Predictions on every
    engine").
-#}
{{ config(tags=['clv_fit_step']) }}

-- depends_on: {{ ref('int_clv_model_fit') }}

select
    customer_id,
    potential_value_method,
    probability_active,
    expected_purchases,
    expected_spend_per_purchase,
    expected_margin_per_purchase,
    potential_value
from {{ clv_fit_step_table('int_customers_predicted_value') }}
