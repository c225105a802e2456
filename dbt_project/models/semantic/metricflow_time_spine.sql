-- One row per day, the calendar MetricFlow joins time dimensions to.
{{ config(materialized='table', schema='reference') }}

select cast(date_day as date) as date_day
from ({{ dbt.date_spine('day', "cast('2015-01-01' as date)", "cast('2036-01-01' as date)") }}) as spine_days
