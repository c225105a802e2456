{#-
    int_customer_activity_months decides churned as of every month end from
    recency alone (long overdue against the customer's rhythm), without the
    purchase model. That matches lifecycle_rules only while every
    long_overdue rule says churned and no other rule does; a rule table
    edited otherwise fails here, before the trend marts drift from
    customer_lifecycle.
-#}
select
    tenure_band,
    recency_band,
    model_churn_risk,
    lifecycle_status
from {{ ref('lifecycle_rules') }}
where (recency_band = 'long_overdue') != (lifecycle_status = 'churned')
