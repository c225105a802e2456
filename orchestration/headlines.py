"""Headline numbers and charts of the marts, as Dagster metadata of the marts that own them.

Numbers are numeric metadata (Dagster plots them across runs on the asset's
Plots tab); charts are PNG images in markdown (see orchestration/pictures.py).
Each function reads the build warehouse after dbt has finished, through a
`query` function (SQL in, rows out: the dbt adapter's connection in a run,
so the same SQL serves every engine), and returns the metadata of one mart;
HEADLINES maps the mart's name to its function. The figures are read from
the marts, never recomputed: a mart defines each number once, the UI only
shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from dagster import MetadataValue

from orchestration import pictures

Metadata = dict[str, MetadataValue]
Query = Callable[[str], Sequence[Sequence[object]]]


def _one(query: Query, sql: str) -> Sequence[object] | None:
    rows = query(sql)
    return rows[0] if rows else None


def _float(value: object) -> MetadataValue:
    return MetadataValue.float(float(value)) if value is not None else MetadataValue.null()


def _counts_by(query: Query, table: str, column: str, order: str | None = None) -> Metadata:
    """`customers_<value>`: customers per value of a column, in the seed's order if given."""
    rows = query(f"select {column}, count(*) from {table} group by {column}")
    counts = {str(value): int(count) for value, count in rows}
    keys = [value for value in (order or "").split(",") if value] or sorted(counts)
    keys += [key for key in counts if key not in keys]
    return {f"customers_{key}": MetadataValue.int(counts.get(key, 0)) for key in keys}


def value_tiers(query: Query) -> Metadata:
    order = ",".join(
        tier
        for (tier,) in query("select value_tier from reference.value_tiers order by tier_order")
    )
    metadata = _counts_by(query, "marts.customer_segment_tier", "value_tier", order)
    values: dict[str, list[float]] = {}
    for tier, value in query(
        "select value_tier, total_lifetime_value from marts.customer_segment_tier"
    ):
        values.setdefault(tier, []).append(float(value))
    metadata["clv_by_tier"] = MetadataValue.md(pictures.value_by_tier(values, order.split(",")))
    return metadata


def loyalty_classes(query: Query) -> Metadata:
    metadata = _counts_by(query, "marts.customer_loyalty_class", "loyalty_class")
    rows = query(
        """
        select
            case when is_high_behaviour then 'high' else 'low' end as behaviour,
            case
                when is_high_attitude then 'high'
                when is_high_attitude = false then 'low'
                else 'unknown'
            end as attitude,
            count(*) as count_customers
        from marts.customer_loyalty_class
        group by 1, 2
        """
    )
    counts = {(behaviour, attitude): int(count) for behaviour, attitude, count in rows}
    metadata["loyalty_matrix"] = MetadataValue.md(
        pictures.loyalty_matrix(counts, ["high", "low"], ["high", "low", "unknown"])
    )
    return metadata


def concentration(query: Query) -> Metadata:
    row = _one(
        query,
        """
        select
            top_customer_share, top_customers_profit_share,
            bottom_customer_share, bottom_customers_profit_share, count_unprofitable_customers,
            top_customers_revenue_share
        from marts.value_concentration_summary
        """,
    )
    if row is None:
        return {}
    top, top_profit, bottom, bottom_profit, unprofitable, top_revenue = row
    return {
        f"top_{top:.0%}_profit_share".replace("%", "pct"): _float(top_profit),
        f"top_{top:.0%}_revenue_share".replace("%", "pct"): _float(top_revenue),
        f"bottom_{bottom:.0%}_profit_share".replace("%", "pct"): _float(bottom_profit),
        "count_unprofitable_customers": MetadataValue.int(int(unprofitable or 0)),
    }


def vip_membership(query: Query) -> Metadata:
    """VIP members' shares of customers, revenue and profit."""
    row = _one(
        query,
        "select customer_share, revenue_share, profit_share"
        " from marts.vip_membership_value where is_vip_member",
    )
    if row is None:
        return {}
    customer_share, revenue_share, profit_share = row
    return {
        "vip_customer_share": _float(customer_share),
        "vip_revenue_share": _float(revenue_share),
        "vip_profit_share": _float(profit_share),
    }


def service_response(query: Query) -> Metadata:
    """Churn rate of the customers answered fast and slowly, and the difference."""
    rates = dict(query("select response_band, churn_rate from marts.service_response_outcomes"))
    fast, slow = rates.get("fast"), rates.get("slow")
    return {
        "churn_rate_answered_fast": _float(fast),
        "churn_rate_answered_slowly": _float(slow),
        "churn_rate_slow_minus_fast": _float(
            slow - fast if fast is not None and slow is not None else None
        ),
    }


def retention_economics(query: Query) -> Metadata:
    """Acquiring a customer against keeping one for a year, all channels and tiers."""
    row = _one(
        query,
        """
        select
            acquisition_cost_per_customer, retention_cost_per_customer_year,
            acquisition_to_retention_cost_ratio
        from marts.retention_economics
        where acquisition_channel = 'all' and value_tier = 'all'
        """,
    )
    if row is None:
        return {}
    acquisition, retention, ratio = row
    return {
        "acquisition_cost_per_customer": _float(acquisition),
        "retention_cost_per_customer_year": _float(retention),
        "acquisition_to_retention_cost_ratio": _float(ratio),
    }


def pareto_curve(query: Query) -> Metadata:
    rows = query(
        """
        select customer_share_cumulative, cumulative_profit_share
        from marts.value_concentration
        order by customer_percentile
        """
    )
    top = _one(query, "select top_customer_share from marts.value_concentration_summary")
    if not rows or top is None:
        return {}
    return {
        "pareto_curve": MetadataValue.md(
            pictures.pareto_curve(
                [float(x) for x, _ in rows], [float(y) for _, y in rows], float(top[0])
            )
        )
    }


def lifetime_value(query: Query) -> Metadata:
    average, total = _one(
        query,
        "select avg(total_lifetime_value), sum(total_lifetime_value)"
        " from marts.customer_lifetime_value",
    )
    return {"average_clv": _float(average), "total_clv": _float(total)}


def lifecycle(query: Query) -> Metadata:
    """Customers per lifecycle status, and the churn rate: churned over customers who purchased."""
    metadata = _counts_by(
        query,
        "marts.customer_lifecycle",
        "lifecycle_status",
        "never_purchased,new,active,at_risk,churned",
    )
    purchasers = sum(
        value.value for key, value in metadata.items() if key != "customers_never_purchased"
    )
    churned = metadata["customers_churned"].value
    metadata["churn_rate"] = _float(churned / purchasers if purchasers else None)
    return metadata


def satisfaction(query: Query) -> Metadata:
    """NPS and average CSAT over the latest twelve survey months, from the mart's counts."""
    months = query(
        """
        select
            survey_month,
            sum(count_promoters) - sum(count_detractors),
            sum(count_nps_answers),
            sum(avg_csat_score * count_csat_answers),
            sum(count_csat_answers)
        from marts.satisfaction_trends
        group by survey_month
        order by survey_month desc
        """
    )[:12]
    net, nps_answers, csat_sum, csat_answers = (
        sum(float(month[i] or 0) for month in months) for i in range(1, 5)
    )
    return {
        "nps_last_12_months": _float(100 * net / nps_answers if nps_answers else None),
        "avg_csat_last_12_months": _float(csat_sum / csat_answers if csat_answers else None),
    }


def model_validation(query: Query) -> Metadata:
    """Each candidate model's holdout error, and the model the marts use."""
    rows = query(
        """
        select purchase_model, mean_absolute_error, root_mean_squared_error, total_bias, is_chosen
        from marts.clv_model_validation
        where comparison = 'summary' and status = 'fitted'
        order by purchase_model
        """
    )
    metadata: Metadata = {}
    for model, mae, rmse, bias, chosen in rows:
        metadata[f"{model}_holdout_mean_absolute_error"] = _float(mae)
        metadata[f"{model}_holdout_rmse"] = _float(rmse)
        metadata[f"{model}_holdout_total_bias"] = _float(bias)
        if chosen:
            metadata["chosen_model"] = MetadataValue.text(str(model))
            metadata["chosen_model_holdout_mean_absolute_error"] = _float(mae)
    return metadata


def cohort_retention(query: Query) -> Metadata:
    """The cohort heat map, and the share of customers active 12 months after their first purchase.

    The 12-month figure weighs every cohort that has reached month 12 by its size.
    """
    rows = query(
        """
        select cohort_month, months_since_first_purchase, retention_rate,
            count_cohort_customers, count_active_customers
        from marts.cohort_retention
        order by cohort_month, months_since_first_purchase
        """
    )
    if not rows:
        return {}
    retention = {(str(cohort)[:7], int(month)): float(rate) for cohort, month, rate, _, _ in rows}
    cohorts = list(dict.fromkeys(str(cohort)[:7] for cohort, *_ in rows))
    year = [(int(size), int(active)) for _, month, _, size, active in rows if month == 12]
    customers = sum(size for size, _ in year)
    return {
        "cohorts": MetadataValue.int(len(cohorts)),
        "retention_rate_after_12_months": _float(
            sum(active for _, active in year) / customers if customers else None
        ),
        "cohort_retention_heatmap": MetadataValue.md(pictures.cohort_heatmap(retention, cohorts)),
    }


def retention_trend(query: Query) -> Metadata:
    """Active customers, churn and retention rate of the latest complete month, all customers."""
    rows = query(
        """
        select month_end_date, count_active_customers, churn_rate, retention_rate
        from marts.retention_trends
        where value_tier = 'all' and customer_type = 'all'
        order by month_start_date desc
        """
    )[:2]
    complete = [row for row in rows if _is_month_end(row[0])]
    if not complete:
        return {}
    _, active, churn_rate, retention_rate = complete[0]
    return {
        "active_customers_last_month_end": MetadataValue.int(int(active)),
        "churn_rate_last_month_end": _float(churn_rate),
        "monthly_retention_rate_last_month": _float(retention_rate),
    }


def segment_migrations(query: Query) -> Metadata:
    """Customers who moved into true loyalty or into churn in the latest period (the last two
    recorded as-of dates), and those new to the data; nothing before a second date is recorded."""
    rows = query(
        """
        select previous_as_of_date, as_of_date, segment_dimension, from_value, to_value,
            movement, count_customers
        from marts.segment_migrations
        where as_of_date = (select max(as_of_date) from marts.segment_migrations)
        """
    )
    if not rows:
        return {}

    def customers(
        dimension: str, movement: str, to_value: str | None = None, from_value: str | None = None
    ) -> int:
        return sum(
            int(count)
            for _, _, row_dimension, row_from, row_to, row_movement, count in rows
            if (row_dimension, row_movement) == (dimension, movement)
            and to_value in (None, row_to)
            and from_value in (None, row_from)
        )

    previous, as_of = rows[0][:2]
    return {
        "last_period": MetadataValue.text(f"{previous} to {as_of}"),
        "moved_to_true_loyalty_last_period": MetadataValue.int(
            customers("loyalty_class", "moved", "true_loyalty")
        ),
        "spurious_to_true_loyalty_last_period": MetadataValue.int(
            customers("loyalty_class", "moved", "true_loyalty", "spurious_loyalty")
        ),
        "latent_to_true_loyalty_last_period": MetadataValue.int(
            customers("loyalty_class", "moved", "true_loyalty", "latent_loyalty")
        ),
        "moved_to_churned_last_period": MetadataValue.int(
            customers("lifecycle_status", "moved", "churned")
        ),
        "new_customers_last_period": MetadataValue.int(customers("lifecycle_status", "appeared")),
    }


def _is_month_end(day: object) -> bool:
    day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
    return (day + timedelta(days=1)).day == 1


HEADLINES: dict[str, Callable[[Query], Metadata]] = {
    "customer_segment_tier": value_tiers,
    "customer_loyalty_class": loyalty_classes,
    "value_concentration_summary": concentration,
    "value_concentration": pareto_curve,
    "customer_lifetime_value": lifetime_value,
    "customer_lifecycle": lifecycle,
    "satisfaction_trends": satisfaction,
    "clv_model_validation": model_validation,
    "cohort_retention": cohort_retention,
    "retention_trends": retention_trend,
    "segment_migrations": segment_migrations,
    "vip_membership_value": vip_membership,
    "service_response_outcomes": service_response,
    "retention_economics": retention_economics,
}
