{#-
    Computed once, in int_customers_loyalty_classified; this mart publishes it. The contract in the
    YAML beside this file fixes the columns and their types.
-#}
select * from {{ ref('int_customers_loyalty_classified') }}  -- noqa: AM04
