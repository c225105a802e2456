{#-
    Does response speed go with loyalty? Customers with a ticket, banded by
    their mean first-response time (seed response_time_bands, limits the
    vars service_response_target_hours and service_response_slow_hours),
    and per band: who bought again after their first ticket, who churned,
    and the mix of loyalty classes, each set against the fast band. The
    churn rate is customer_lifecycle's: churned / customers who have
    purchased, so a ticket from someone who never bought does not dilute it.
-#}
with

{{ import_models({
    'customers': 'customers',
    'customer_tickets': 'int_service_tickets_aggregated_to_customers',
    'bands': 'response_time_bands'
}) }},

banded as (

    select
        customers.customer_id,
        customers.as_of_date,
        customer_tickets.avg_first_response_hours,
        case
            when customer_tickets.avg_first_response_hours is null then 'unanswered'
            when customer_tickets.avg_first_response_hours
                <= {{ var('service_response_target_hours') }} then 'fast'
            when customer_tickets.avg_first_response_hours
                <= {{ var('service_response_slow_hours') }} then 'moderate'
            else 'slow'
        end as response_band,
        coalesce(customers.last_purchase_date > customer_tickets.first_ticket_date, false)
            as has_purchased_after_ticket,
        customers.count_purchases > 0 as has_purchased,
        customers.lifecycle_status = 'churned' as is_churned,
        customers.loyalty_class
    from customer_tickets
    inner join customers
        on customer_tickets.customer_id = customers.customer_id

),

by_band as (

    select
        response_band,
        min(as_of_date) as as_of_date,
        count(*) as count_customers,
        avg(avg_first_response_hours) as mean_first_response_hours,
        avg(case when has_purchased_after_ticket then 1 else 0 end) as repurchase_rate,
        sum(case when is_churned then 1 else 0 end)
        / nullif(sum(case when has_purchased then 1 else 0 end), 0) as churn_rate,
        avg(case when loyalty_class = 'true_loyalty' then 1 else 0 end) as true_loyalty_share,
        avg(case when loyalty_class = 'latent_loyalty' then 1 else 0 end)
            as latent_loyalty_share,
        avg(case when loyalty_class = 'spurious_loyalty' then 1 else 0 end)
            as spurious_loyalty_share,
        avg(case when loyalty_class = 'no_loyalty' then 1 else 0 end) as no_loyalty_share,
        avg(case when loyalty_class = 'unknown' then 1 else 0 end) as unknown_loyalty_share
    from banded
    group by response_band

),

fast_band as (

    select
        repurchase_rate as fast_repurchase_rate,
        churn_rate as fast_churn_rate
    from by_band
    where response_band = 'fast'

),

final as (

    select
        by_band.response_band,
        bands.response_band_label_zh,
        bands.band_order,
        by_band.as_of_date,
        cast(by_band.count_customers as integer) as count_customers,
        cast(by_band.mean_first_response_hours as double) as mean_first_response_hours,
        cast(by_band.repurchase_rate as double) as repurchase_rate,
        cast(by_band.churn_rate as double) as churn_rate,
        cast(by_band.repurchase_rate - fast_band.fast_repurchase_rate as double)
            as repurchase_rate_difference_from_fast,
        cast(by_band.churn_rate - fast_band.fast_churn_rate as double)
            as churn_rate_difference_from_fast,
        cast(by_band.true_loyalty_share as double) as true_loyalty_share,
        cast(by_band.latent_loyalty_share as double) as latent_loyalty_share,
        cast(by_band.spurious_loyalty_share as double) as spurious_loyalty_share,
        cast(by_band.no_loyalty_share as double) as no_loyalty_share,
        cast(by_band.unknown_loyalty_share as double) as unknown_loyalty_share
    from by_band
    inner join bands
        on by_band.response_band = bands.response_band
    left join fast_band on true

)

select * from final
