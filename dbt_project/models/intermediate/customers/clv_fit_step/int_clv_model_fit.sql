{#-
    Where dbt runs no Python models (Spark; or LOYALTY_CLV_FIT_STEP=1): the
    fit the CLV fit step made with orchestration.clv.tables.model_fit, as the
    DuckDB Python model of the same name makes it (docs/architecture.md,
    "Predictions on every engine"). Reads int_clv_model_validation's table
    through the step, so the ref below only orders the two in dbt.
-#}
{{ config(tags=['clv_fit_step']) }}

-- depends_on: {{ ref('int_clv_model_validation') }}

select
    as_of_date,
    count_customers,
    count_repeat_customers,
    count_gamma_gamma_customers,
    status,
    status_message,
    purchase_model,
    purchase_model_reason,
    purchase_model_r,
    purchase_model_alpha,
    purchase_model_a,
    purchase_model_b,
    purchase_model_s,
    purchase_model_beta,
    dropout_model,
    dropout_probability,
    purchase_model_log_likelihood,
    gamma_gamma_p,
    gamma_gamma_q,
    gamma_gamma_v,
    gamma_gamma_log_likelihood,
    fit_seconds,
    fit_date,
    is_refitted,
    fit_fingerprint
from {{ clv_fit_step_table('int_clv_model_fit') }}
