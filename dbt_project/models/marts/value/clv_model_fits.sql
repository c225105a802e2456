{#-
    One row per dbt build: the purchase model chosen in that build (and
    why) with its parameters, the Gamma-Gamma parameters, their log-likelihood, how many customers were fitted and how
    long it took, so drift between runs shows. Incremental: each build
    appends its row (a --full-refresh starts the history again).
-#}
{{ config(materialized='incremental', unique_key='build_id', on_schema_change='append_new_columns') }}

with

fit as (

    select * from {{ ref('int_clv_model_fit') }}

),

final as (

    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
            as built_at,
        cast(as_of_date as date) as as_of_date,
        cast(count_customers as integer) as count_customers,
        cast(count_repeat_customers as integer) as count_repeat_customers,
        cast(count_gamma_gamma_customers as integer) as count_gamma_gamma_customers,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(status_message as {{ dbt.type_string() }}) as status_message,
        cast(purchase_model as {{ dbt.type_string() }}) as purchase_model,
        cast(purchase_model_reason as {{ dbt.type_string() }}) as purchase_model_reason,
        cast(purchase_model_r as double precision) as purchase_model_r,
        cast(purchase_model_alpha as double precision) as purchase_model_alpha,
        cast(purchase_model_a as double precision) as purchase_model_a,
        cast(purchase_model_b as double precision) as purchase_model_b,
        cast(purchase_model_s as double precision) as purchase_model_s,
        cast(purchase_model_beta as double precision) as purchase_model_beta,
        cast(dropout_model as {{ dbt.type_string() }}) as dropout_model,
        cast(dropout_probability as double precision) as dropout_probability,
        cast(purchase_model_log_likelihood as double precision) as purchase_model_log_likelihood,
        cast(gamma_gamma_p as double precision) as gamma_gamma_p,
        cast(gamma_gamma_q as double precision) as gamma_gamma_q,
        cast(gamma_gamma_v as double precision) as gamma_gamma_v,
        cast(gamma_gamma_log_likelihood as double precision) as gamma_gamma_log_likelihood,
        cast(fit_seconds as double precision) as fit_seconds
    from fit

)

select * from final
