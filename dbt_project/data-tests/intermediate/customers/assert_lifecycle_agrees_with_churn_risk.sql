{#-
    Lifecycle status and churn risk never contradict: nobody is churned with
    a low churn risk or active with a high one, neither in the rule table
    nor in the built customers. It reads the seed and the model; meta names
    the model, so Dagster shows the test as a check on that asset.
-#}
{{ config(meta={'dagster': {'ref': {'name': 'int_customers_lifecycle_assessed'}}}) }}

with

rules as (

    select
        'lifecycle_rules' as checked_in,
        {{ dbt.concat(['tenure_band', "' / '", 'recency_band', "' / '", 'model_churn_risk']) }}
            as row_key,
        lifecycle_status,
        churn_risk_band
    from {{ ref('lifecycle_rules') }}

),

customers as (

    select
        'int_customers_lifecycle_assessed' as checked_in,
        customer_id as row_key,
        lifecycle_status,
        churn_risk_band
    from {{ ref('int_customers_lifecycle_assessed') }}

),

checked_rows as (

    select * from rules
    union all
    select * from customers

),

contradictions as (

    select *
    from checked_rows
    where (lifecycle_status = 'churned' and churn_risk_band = 'low')
        or (lifecycle_status = 'active' and churn_risk_band = 'high')

)

select * from contradictions
