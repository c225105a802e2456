{#- The holdout validation computed in int_clv_model_validation; this mart publishes it. -#}
with

validation as (

    select * from {{ ref('int_clv_model_validation') }}

),

final as (

    select
        cast(as_of_date as date) as as_of_date,
        cast(calibration_end_date as date) as calibration_end_date,
        cast(holdout_weeks as double precision) as holdout_weeks,
        cast(purchase_model as {{ dbt.type_string() }}) as purchase_model,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(message as {{ dbt.type_string() }}) as message,
        cast(comparison as {{ dbt.type_string() }}) as comparison,
        cast(frequency_bucket as {{ dbt.type_string() }}) as frequency_bucket,
        cast(week_index as integer) as week_index,
        cast(is_holdout as boolean) as is_holdout,
        cast(count_customers as integer) as count_customers,
        cast(actual_repeat_purchases as double precision) as actual_repeat_purchases,
        cast(expected_repeat_purchases as double precision) as expected_repeat_purchases,
        cast(actual_cumulative_repeat_purchases as double precision) as actual_cumulative_repeat_purchases,
        cast(expected_cumulative_repeat_purchases as double precision) as expected_cumulative_repeat_purchases,
        cast(mean_absolute_error as double precision) as mean_absolute_error,
        cast(root_mean_squared_error as double precision) as root_mean_squared_error,
        cast(total_bias as double precision) as total_bias,
        cast(is_chosen as boolean) as is_chosen,
        cast(choice_reason as {{ dbt.type_string() }}) as choice_reason
    from validation

)

select * from final
