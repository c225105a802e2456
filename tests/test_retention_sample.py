"""Cohorts, retention trends and satisfaction by segment on the bundled sample.

The marts computed as of every month end must meet the snapshot marts at
the as-of date, and the planted loyalty archetypes must show the difference
between being satisfied and coming back.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def query(sample_warehouse):
    return sample_warehouse.query


def test_the_as_of_month_of_the_trend_is_customer_lifecycle_per_segment(query):
    # The trend's last month ends on the as-of date, so its churned and active
    # customers must be customer_lifecycle's, segment by segment and in 'all'.
    mismatches = query(
        """
        with lifecycle as (
            select
                coalesce(value_tier, 'all') as value_tier,
                coalesce(customer_type, 'all') as customer_type,
                count(*) filter (where lifecycle_status = 'churned') as churned,
                count(*) filter (where lifecycle_status in ('new', 'active', 'at_risk')) as active
            from marts.customers
            group by grouping sets ((value_tier, customer_type), (value_tier), (customer_type), ())
        ),
        last_month as (
            select *
            from marts.retention_trends
            where month_end_date = (select max(as_of_date) from marts.customer_lifecycle)
        )
        select lifecycle.value_tier, lifecycle.customer_type, lifecycle.churned, lifecycle.active,
            last_month.count_churned_customers, last_month.count_active_customers
        from lifecycle
        full join last_month using (value_tier, customer_type)
        where lifecycle.churned + lifecycle.active > 0
            and (last_month.count_churned_customers is distinct from lifecycle.churned
                or last_month.count_active_customers is distinct from lifecycle.active)
        """
    )
    assert mismatches == []
    ((segments,),) = query(
        "select count(*) from marts.retention_trends where month_end_date = "
        "(select max(month_end_date) from marts.retention_trends)"
    )
    # 4 tiers x 5 types (if all occur), 4 + 5 rollups and 'all'.
    assert 10 < segments <= 30


def test_active_customers_carry_from_month_to_month(query):
    # active = active at the previous month end + new + reactivated - newly churned,
    # and the previous month's active customers are the opening base.
    broken = query(
        """
        select month_start_date, value_tier, customer_type
        from (
            select *,
                lag(count_active_customers) over (
                    partition by value_tier, customer_type order by month_start_date
                ) as previous_active
            from marts.retention_trends
        ) as trend
        where count_active_customers != count_retained_customers + count_new_customers
                + count_reactivated_customers
            or coalesce(previous_active, 0) != count_active_at_month_start
        """
    )
    assert broken == []
    # Churn rises as the sample's planted churners go quiet: none in the
    # first months, about a quarter of buyers by the as-of date.
    rates = [
        rate
        for (rate,) in query(
            "select churn_rate from marts.retention_trends"
            " where value_tier = 'all' and customer_type = 'all' order by month_start_date"
        )
    ]
    assert rates[0] == 0 and 0.15 < rates[-1] < 0.35


def test_every_cohort_starts_whole_and_ends_at_its_realised_profit(query):
    ((cohorts_not_whole,),) = query(
        "select count(*) from marts.cohort_retention"
        " where months_since_first_purchase = 0 and retention_rate != 1"
    )
    assert cohorts_not_whole == 0
    # The as-of month's cumulative profit is the cohort's realised profit to date.
    mismatches = query(
        """
        with by_cohort as (
            select
                date_trunc('month', first_purchase_date) as cohort_month,
                count(*) as customers,
                sum(realised_profit) as realised_profit,
                count(*) filter (where lifecycle_status != 'churned') as active
            from marts.customers
            where first_purchase_date is not null
            group by 1
        ),
        last_month as (
            select * from marts.cohort_retention
            where month_end_date = (select max(month_end_date) from marts.cohort_retention)
        )
        select by_cohort.cohort_month
        from by_cohort
        full join last_month using (cohort_month)
        where last_month.count_cohort_customers is distinct from by_cohort.customers
            or last_month.count_active_customers is distinct from by_cohort.active
            or abs(last_month.cumulative_realised_profit - by_cohort.realised_profit) > 0.01
        """
    )
    assert mismatches == []
    # Each cohort has one row per month from its first purchase to the as-of month.
    ((gaps,),) = query(
        """
        select count(*) from (
            select cohort_month, count(*) as months, max(months_since_first_purchase) as last
            from marts.cohort_retention group by cohort_month
        ) as cohorts
        where months != last + 1
        """
    )
    assert gaps == 0


def test_satisfied_latent_loyalty_does_not_come_back_while_true_loyalty_does(query):
    # The generator plants latent loyalty (high attitude, few purchases) and
    # true loyalty (high attitude, regular purchases): both are satisfied,
    # only one comes back. Summed over every survey month.
    shares = {
        segment: (satisfied, not_returned)
        for segment, satisfied, not_returned in query(
            """
            select segment_value,
                sum(count_satisfied) / sum(count_csat_answers),
                sum(count_satisfied_not_returned) / sum(count_satisfied_judged)
            from marts.satisfaction_by_segment
            where segment_dimension = 'loyalty_class'
            group by segment_value
            """
        )
    }
    assert shares["latent_loyalty"][0] > 0.7 and shares["true_loyalty"][0] > 0.7
    assert shares["latent_loyalty"][1] > 0.5
    assert shares["true_loyalty"][1] < 0.1
    # Every dimension covers every response of its month.
    ((uneven,),) = query(
        """
        select count(*) from (
            select survey_month, count(distinct total) as totals
            from (
                select survey_month, segment_dimension, sum(count_responses) as total
                from marts.satisfaction_by_segment group by 1, 2
            ) as per_dimension
            group by survey_month
        ) as months
        where totals != 1
        """
    )
    assert uneven == 0
