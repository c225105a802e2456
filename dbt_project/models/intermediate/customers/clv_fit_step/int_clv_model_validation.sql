{#-
    Where dbt runs no Python models (Spark; or LOYALTY_CLV_FIT_STEP=1): the
    holdout validation the CLV fit step made with
    orchestration.clv.tables.model_validation, as the DuckDB Python model of
    the same name makes it (docs/architecture.md, "Predictions on every
    engine"). `dbt build` alone does not run the step (macros/clv_fit_step.sql).
-#}
{{ config(tags=['clv_fit_step']) }}

select
    as_of_date,
    calibration_end_date,
    holdout_weeks,
    purchase_model,
    status,
    message,
    comparison,
    frequency_bucket,
    week_index,
    is_holdout,
    count_customers,
    actual_repeat_purchases,
    expected_repeat_purchases,
    actual_cumulative_repeat_purchases,
    expected_cumulative_repeat_purchases,
    mean_absolute_error,
    root_mean_squared_error,
    total_bias,
    is_chosen,
    choice_reason,
    fit_fingerprint
from {{ clv_fit_step_table('int_clv_model_validation') }}
