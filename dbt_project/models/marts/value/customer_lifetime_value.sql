{#-
    Computed once, in int_customers_lifetime_value; this mart publishes it. The contract in the
    YAML beside this file fixes the columns and their types.
-#}
select * from {{ ref('int_customers_lifetime_value') }}  -- noqa: AM04
