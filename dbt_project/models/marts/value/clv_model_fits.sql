{#-
    One row per dbt build: the purchase model chosen in that build (and
    why) with its parameters, the Gamma-Gamma parameters, their
    log-likelihood, how many customers were fitted and how long it took, so
    drift between runs shows. Incremental: each build
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
        fit.*
    from fit

)

select * from final  -- noqa: AM04
