{#-
    One row: what the CLV fit step needs besides its input tables (the
    as-of date and the CLV vars of this dbt call), so the step outside dbt
    fits with the vars dbt was given (--vars, LOYALTY_DBT_VARS).
-#}
{{ config(tags=['clv_fit_step_input']) }}

select
    as_of_date,
    cast({{ var('clv_min_customers_to_fit') }} as integer) as min_customers_to_fit,
    cast({{ var('clv_min_repeat_customers_to_fit') }} as integer) as min_repeat_customers_to_fit,
    cast({{ var('clv_holdout_weeks') }} as double) as holdout_weeks,
    cast('{{ var("clv_purchase_model") or "" }}' as {{ dbt.type_string() }}) as purchase_model,
    cast({{ var('clv_horizon_months') }} as integer) as horizon_months,
    cast({{ var('clv_annual_discount_rate') }} as double) as annual_discount_rate
from {{ ref('int_as_of_date') }}
