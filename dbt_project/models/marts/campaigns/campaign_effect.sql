{#-
    One row per campaign wave old enough to judge (the wave date plus
    var campaign_conversion_window_days is on or before the as-of date):
    treatment (contacted) against holdout (control group) on conversion (a
    completed purchase within the window after the wave date), revenue and
    margin per customer, with the uplift and its confidence interval.
    Conversion: difference of two proportions, normal approximation; revenue
    and margin: difference of two means, Welch standard error.
-#}
with

{{ import_models({'contacts': 'contact_history', 'orders': 'int_orders_priced', 'as_of': 'int_as_of_date'}) }},

mature_contacts as (

    select
        contacts.campaign,
        cast(contacts.wave_date as date) as wave_date,
        contacts.customer_id,
        contacts.assignment
    from contacts
    cross join as_of
    where {{ days_between('contacts.wave_date', 'as_of.as_of_date') }}
        >= {{ var('campaign_conversion_window_days') }}

),

responses as (

    select
        mature_contacts.campaign,
        mature_contacts.wave_date,
        mature_contacts.customer_id,
        mature_contacts.assignment,
        count(orders.order_id) as count_purchases,
        coalesce(sum(orders.net_revenue), 0) as revenue,
        coalesce(sum(orders.gross_margin - orders.cost_to_serve), 0) as margin
    from mature_contacts
    left join orders
        on mature_contacts.customer_id = orders.customer_id
        and orders.is_purchase
        and mature_contacts.wave_date < orders.ordered_date
        and {{ days_between('mature_contacts.wave_date', 'orders.ordered_date') }}
        <= {{ var('campaign_conversion_window_days') }}
    group by 1, 2, 3, 4

),

by_group as (

    select
        campaign,
        wave_date,
        assignment,
        count(*) as count_customers,
        avg(case when count_purchases > 0 then 1 else 0 end) as conversion_rate,
        avg(cast(revenue as double)) as revenue_per_customer,
        var_samp(cast(revenue as double)) as revenue_variance,
        avg(cast(margin as double)) as margin_per_customer,
        var_samp(cast(margin as double)) as margin_variance
    from responses
    group by 1, 2, 3

),

compared as (

    select
        treatment.campaign,
        treatment.wave_date,
        treatment.count_customers as count_treatment,
        holdout.count_customers as count_holdout,
        treatment.conversion_rate as treatment_conversion_rate,
        holdout.conversion_rate as holdout_conversion_rate,
        treatment.conversion_rate - holdout.conversion_rate as conversion_uplift,
        sqrt(
            treatment.conversion_rate * (1 - treatment.conversion_rate) / treatment.count_customers
            + holdout.conversion_rate * (1 - holdout.conversion_rate) / holdout.count_customers
        ) as conversion_uplift_se,
        treatment.revenue_per_customer as treatment_revenue_per_customer,
        holdout.revenue_per_customer as holdout_revenue_per_customer,
        treatment.revenue_per_customer - holdout.revenue_per_customer as revenue_uplift_per_customer,
        {{ welch_standard_error('revenue_variance', 'treatment', 'holdout') }} as revenue_uplift_se,
        treatment.margin_per_customer as treatment_margin_per_customer,
        holdout.margin_per_customer as holdout_margin_per_customer,
        treatment.margin_per_customer - holdout.margin_per_customer as margin_uplift_per_customer,
        {{ welch_standard_error('margin_variance', 'treatment', 'holdout') }} as margin_uplift_se
    from by_group as treatment
    inner join by_group as holdout
        on treatment.campaign = holdout.campaign
        and treatment.wave_date = holdout.wave_date
        and holdout.assignment = 'holdout'
    where treatment.assignment = 'treatment'

),

final as (

    select
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        wave_date,
        cast(count_treatment as integer) as count_treatment,
        cast(count_holdout as integer) as count_holdout,
        {{ var('campaign_conversion_window_days') }} as conversion_window_days,
        cast(treatment_conversion_rate as double) as treatment_conversion_rate,
        cast(holdout_conversion_rate as double) as holdout_conversion_rate,
        cast(conversion_uplift as double) as conversion_uplift,
        {{ confidence_bounds('conversion_uplift', 'conversion_uplift_se', 'conversion_uplift') }},
        cast(treatment_revenue_per_customer as double) as treatment_revenue_per_customer,
        cast(holdout_revenue_per_customer as double) as holdout_revenue_per_customer,
        cast(revenue_uplift_per_customer as double) as revenue_uplift_per_customer,
        {{ confidence_bounds('revenue_uplift_per_customer', 'revenue_uplift_se', 'revenue_uplift') }},
        cast(treatment_margin_per_customer as double) as treatment_margin_per_customer,
        cast(holdout_margin_per_customer as double) as holdout_margin_per_customer,
        cast(margin_uplift_per_customer as double) as margin_uplift_per_customer,
        {{ confidence_bounds('margin_uplift_per_customer', 'margin_uplift_se', 'margin_uplift') }}
    from compared

)

select * from final
