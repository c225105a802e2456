{#-
    The holdout validation computed in int_clv_model_validation, with the
    column types its contract states; this mart publishes it.
-#}
select * from {{ ref('int_clv_model_validation') }}  -- noqa: AM04
