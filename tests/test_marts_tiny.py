"""Mart values on the dozen hand-made customers, checked against hand-written rules.

Every expectation is computed here from the fixture rows (tests/fixtures/tiny.py)
with the rules as docs/marts.md states them, independently of the SQL.
"""

from __future__ import annotations

import math
import statistics
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.fixtures import tiny

AS_OF = date.fromisoformat(tiny.AS_OF_DATE)
COST_PER_ORDER, COST_PER_RETURN, COST_PER_TICKET = 5.0, 8.0, 15.0
HORIZON_MONTHS, ANNUAL_RATE = 12, 0.10


def _day(timestamp: str) -> date:
    return date.fromisoformat(timestamp[:10])


def _order_money(lines) -> tuple[float, float]:
    revenue = sum(q * float(price) - float(discount) for _, q, price, _, discount in lines)
    cost = sum(q * float(cost or 0) for _, q, _, cost, _ in lines)
    return revenue, cost


def _completed(customer_id: str) -> list[tuple[date, float, float]]:
    """(day, net revenue, product cost) of the customer's completed orders."""
    return sorted(
        (_day(at), *_order_money(lines))
        for _, customer, at, status, lines in tiny.ORDERS
        if customer == customer_id and status == "completed"
    )


def _purchases(customer_id: str) -> list[tuple[date, float, float]]:
    """Purchases: completed orders with net revenue above 0 (none on the same day here)."""
    return [order for order in _completed(customer_id) if order[1] > 0]


def _order_cost_to_serve(customer_id: str) -> float:
    costs = {"completed": COST_PER_ORDER, "returned": COST_PER_ORDER + COST_PER_RETURN}
    return sum(
        costs.get(status, 0.0)
        for _, customer, _, status, _ in tiny.ORDERS
        if customer == customer_id
    )


def _intervals(customer_id: str) -> list[int]:
    days = [purchase[0] for purchase in _purchases(customer_id)]
    return [(later - earlier).days for earlier, later in zip(days, days[1:], strict=False)]


def _realised(customer_id: str) -> tuple[float, float, float]:
    completed = _completed(customer_id)
    revenue = sum(p[1] for p in completed)
    cost = sum(p[2] for p in completed)
    tickets = sum(1 for ticket in tiny.TICKETS if ticket[1] == customer_id)
    cost_to_serve = _order_cost_to_serve(customer_id) + tickets * COST_PER_TICKET
    return revenue, cost, revenue - cost - cost_to_serve


def _population_interval() -> float:
    means = [
        statistics.mean(_intervals(c["customer_id"]))
        for c in tiny.CUSTOMERS
        if len(_purchases(c["customer_id"])) >= 2
    ]
    return statistics.median(means)


def _potential(customer_id: str) -> tuple[str, float, float]:
    purchases = _purchases(customer_id)
    if not purchases:
        return "no_purchases", 0.0, 0.0
    if len(purchases) >= 2:
        method, interval = "customer_rate", statistics.mean(_intervals(customer_id))
    else:
        method, interval = "population_rate_fallback", _population_interval()
    recency = (AS_OF - purchases[-1][0]).days
    p_active = 1.0 if recency <= interval else math.exp(-(recency - interval) / interval)
    margin = sum(p[1] - p[2] for p in _completed(customer_id)) - _order_cost_to_serve(customer_id)
    per_purchase = margin / len(purchases)
    monthly_rate = (1 + ANNUAL_RATE) ** (1 / 12) - 1
    annuity = sum((1 + monthly_rate) ** -month for month in range(1, HORIZON_MONTHS + 1))
    per_month = (365.25 / 12) / interval
    return method, p_active, per_month * p_active * per_purchase * annuity


def _lifetime_values() -> dict[str, float]:
    return {
        c["customer_id"]: round(_realised(c["customer_id"])[2], 2)
        + round(_potential(c["customer_id"])[2], 2)
        for c in tiny.CUSTOMERS
    }


@pytest.fixture(scope="module")
def clv(tiny_warehouse):
    frame = tiny_warehouse.query_df("select * from marts.customer_lifetime_value")
    return frame.set_index("customer_id")


@pytest.fixture(scope="module")
def customers(tiny_warehouse):
    return tiny_warehouse.query_df("select * from marts.customers").set_index("customer_id")


def test_as_of_date_is_the_latest_order_date(clv):
    assert set(clv["as_of_date"].astype(str)) == {tiny.AS_OF_DATE}


@pytest.mark.parametrize("customer_id", [c["customer_id"] for c in tiny.CUSTOMERS])
def test_realised_value(clv, customer_id):
    revenue, cost, profit = _realised(customer_id)
    row = clv.loc[customer_id]
    assert float(row["realised_revenue"]) == pytest.approx(revenue)
    assert float(row["product_cost"]) == pytest.approx(cost)
    assert float(row["realised_profit"]) == pytest.approx(profit)


@pytest.mark.parametrize("customer_id", [c["customer_id"] for c in tiny.CUSTOMERS])
def test_potential_value(clv, customer_id):
    method, p_active, potential = _potential(customer_id)
    row = clv.loc[customer_id]
    assert row["potential_value_method"] == method
    assert float(row["potential_value"]) == pytest.approx(potential, abs=0.01)
    if method != "no_purchases":
        assert row["probability_active"] == pytest.approx(p_active)
    expected_total = _realised(customer_id)[2] + potential
    assert float(row["total_lifetime_value"]) == pytest.approx(expected_total, abs=0.02)


def test_hand_checked_headline_numbers(clv):
    # c01: five coffee orders of 100 at cost 40, 5 per order, one ticket of 15.
    assert float(clv.loc["c01", "realised_profit"]) == pytest.approx(500 - 200 - 25 - 15)
    # c09: completed order 200 - 20 + 50 (unit cost missing: 0), cost 80;
    # returned order costs 5 + 8; cancelled order costs nothing.
    assert float(clv.loc["c09", "realised_profit"]) == pytest.approx(230 - 80 - 5 - 13)
    # Population interval for one-time buyers: median of 30, 31, 45.67, 89, 120.
    assert _population_interval() == pytest.approx(137 / 3)


def test_a_zero_value_order_is_flagged_and_not_a_purchase(tiny_warehouse, customers, clv):
    # c12: purchases on 02-01 and 06-01 (4 x 50 each) and o123 on 03-01, 50
    # fully discounted: completed with net revenue 0, so flagged and not a
    # purchase. Two purchase days, one interval of 120 days; the order's
    # product cost 30 and cost to serve 5 still count:
    # 400 - (240 + 30) - 3 x 5 = 115.
    flagged = tiny_warehouse.query(
        "select order_id, is_purchase, is_zero_or_negative_net, purchase_sequence_number"
        " from marts.orders where customer_id = 'c12' order by ordered_at"
    )
    assert flagged == [
        ("o121", True, False, 1),
        ("o123", False, True, None),
        ("o122", True, False, 2),
    ]
    row = customers.loc["c12"]
    assert (row["count_purchases"], row["count_zero_or_negative_net_orders"]) == (2, 1)
    assert row["is_repeat_purchaser"]
    assert row["loyalty_ladder_stage"] == "repeat_customer"
    assert float(clv.loc["c12", "realised_profit"]) == pytest.approx(115.0)


def test_value_tiers_follow_the_cut_offs(customers):
    values = _lifetime_values()
    ranked = sorted(values, key=lambda customer_id: -values[customer_id])
    count = len(ranked)
    for customer_id in ranked:
        rank = 1 + sum(1 for other in values.values() if other > values[customer_id])
        if values[customer_id] <= 0 or rank > count * 0.7:
            expected = "lead"
        elif rank <= count * 0.05:
            expected = "platinum"
        elif rank <= count * 0.20:
            expected = "gold"
        else:
            expected = "iron"
        assert customers.loc[customer_id, "value_rank"] == rank, customer_id
        assert customers.loc[customer_id, "value_tier"] == expected, customer_id


EXPECTED_LOYALTY = {
    # customer: (loyalty class, ladder stage, lifecycle status, nps category)
    "c01": ("true_loyalty", "advocate", "active", "promoter"),
    "c02": ("spurious_loyalty", "repeat_customer", "active", "detractor"),
    "c03": ("latent_loyalty", "first_time_customer", "at_risk", "promoter"),
    "c04": ("no_loyalty", "first_time_customer", "at_risk", "detractor"),
    "c05": ("unknown", "repeat_customer", "active", "unknown"),
    "c06": ("unknown", "prospect", "never_purchased", "unknown"),
    "c07": ("unknown", "suspect", "never_purchased", "unknown"),
    "c08": ("unknown", "repeat_customer", "churned", "unknown"),
    # c10's first purchase (2026-05-01) is 60 days before the as-of date: new (< 90).
    "c10": ("no_loyalty", "first_time_customer", "new", "detractor"),
    "c11": ("unknown", "first_time_customer", "new", "unknown"),
}


@pytest.mark.parametrize("customer_id", sorted(EXPECTED_LOYALTY))
def test_loyalty_classification(customers, customer_id):
    loyalty_class, ladder, lifecycle, nps = EXPECTED_LOYALTY[customer_id]
    row = customers.loc[customer_id]
    assert row["loyalty_class"] == loyalty_class
    assert row["loyalty_ladder_stage"] == ladder
    assert row["lifecycle_status"] == lifecycle
    assert row["nps_category"] == nps


EXPECTED_CHURN_RISK = {
    # customer: (recency band, churn risk band), with the simple estimate's
    # probability active (no model is fitted on a dozen customers).
    # c01 bought on the as-of date: within its 30-day rhythm, p = 1.
    "c01": ("within_rhythm", "low"),
    # c03: one purchase 211 days ago (> 120 without a rhythm), p =
    # exp(-(211 - 137/3) / (137/3)) = 0.027: overdue, model risk high.
    "c03": ("overdue", "high"),
    # c08: rhythm 31 days (two intervals), silent since 2024-09-01, far past
    # 4 x 31 = 124 days: long overdue, churned and high whatever the model says.
    "c08": ("long_overdue", "high"),
    # c10: first and only purchase 60 days ago, p = exp(-(60 - 137/3) /
    # (137/3)) = 0.73: model risk 0.27, low; new.
    "c10": ("within_rhythm", "low"),
}


@pytest.mark.parametrize("customer_id", sorted(EXPECTED_CHURN_RISK))
def test_lifecycle_and_churn_risk_from_the_rule_table(tiny_warehouse, customer_id):
    rows = tiny_warehouse.query(
        "select recency_band, churn_risk_band from marts.customer_lifecycle"
        f" where customer_id = '{customer_id}'"
    )
    assert rows == [EXPECTED_CHURN_RISK[customer_id]]


def test_no_customer_is_churned_with_low_risk_or_active_with_high(tiny_warehouse):
    rows = tiny_warehouse.query(
        "select customer_id from marts.customer_lifecycle"
        " where (lifecycle_status = 'churned' and churn_risk_band = 'low')"
        " or (lifecycle_status = 'active' and churn_risk_band = 'high')"
    )
    assert rows == []


def test_behavioural_scores_by_hand(customers):
    # c01: 5 purchases in the year (5/6), bought today: 0.7 x 5/6 + 0.3.
    assert customers.loc["c01", "behavioural_score"] == pytest.approx(0.7 * 5 / 6 + 0.3, abs=1e-4)
    # c03: 1 purchase 211 days ago, no rhythm of its own (90 days): 0.7/6 + 0.3 x 90/211.
    assert customers.loc["c03", "behavioural_score"] == pytest.approx(
        0.7 / 6 + 0.3 * 90 / 211, abs=1e-4
    )
    # c02: latest survey (2, 2, 3) replaces the older happy one.
    assert customers.loc["c02", "attitudinal_score"] == pytest.approx(7 / 3, abs=1e-4)


def test_orders_mart_sequence_and_returns(tiny_warehouse):
    rows = tiny_warehouse.query(
        "select order_id, status, net_revenue, cost_to_serve, order_sequence_number,"
        " days_since_previous_order, has_new_product"
        " from marts.orders where customer_id = 'c09' order by order_sequence_number"
    )
    assert [(r[0], r[1], float(r[2]), float(r[3]), r[4], r[5], r[6]) for r in rows] == [
        ("o091", "completed", 230.0, 5.0, 1, None, True),
        ("o092", "returned", 0.0, 13.0, 2, 5, False),
        ("o093", "cancelled", 0.0, 0.0, 3, 5, False),
    ]


def test_no_personal_data_in_marts(tiny_warehouse):
    columns = {
        row[0]
        for row in tiny_warehouse.query(
            "select column_name from information_schema.columns where table_schema = 'marts'"
        )
    }
    assert not columns & {"full_name", "email", "phone"}
    contacts = tiny_warehouse.query("select count(*) from restricted.customer_contacts")
    assert contacts == [(len(tiny.CUSTOMERS),)]


def test_value_concentration_matches_ranked_profit(tiny_warehouse):
    profits = sorted(
        (
            _realised(c["customer_id"])[2]
            for c in tiny.CUSTOMERS
            if any(o[1] == c["customer_id"] for o in tiny.ORDERS)
        ),
        reverse=True,
    )
    count, total = len(profits), sum(profits)
    top = sum(p for rank, p in enumerate(profits, start=1) if rank <= count * 0.2)
    bottom = sum(p for rank, p in enumerate(profits, start=1) if rank > count * (1 - 0.3))
    summary = tiny_warehouse.query_df("select * from marts.value_concentration_summary").iloc[0]
    assert summary["count_customers"] == count
    assert float(summary["total_realised_profit"]) == pytest.approx(total)
    assert float(summary["top_customers_profit"]) == pytest.approx(top)
    assert summary["top_customers_profit_share"] == pytest.approx(top / total)
    assert float(summary["bottom_customers_profit"]) == pytest.approx(bottom)


def test_revenue_concentration_matches_ranked_revenue(tiny_warehouse):
    # The 80/20 rule on revenue: customers with an order ranked by realised revenue.
    revenues = sorted(
        (
            _realised(c["customer_id"])[0]
            for c in tiny.CUSTOMERS
            if any(o[1] == c["customer_id"] for o in tiny.ORDERS)
        ),
        reverse=True,
    )
    count, total = len(revenues), sum(revenues)
    top = sum(r for rank, r in enumerate(revenues, start=1) if rank <= count * 0.2)
    summary = tiny_warehouse.query_df("select * from marts.value_concentration_summary").iloc[0]
    assert float(summary["total_realised_revenue"]) == pytest.approx(total)
    assert float(summary["top_customers_revenue"]) == pytest.approx(top)
    assert summary["top_customers_revenue_share"] == pytest.approx(top / total)
    curve = tiny_warehouse.query_df(
        "select * from marts.value_concentration order by customer_percentile"
    )
    last = curve.iloc[-1]
    assert last["cumulative_revenue_share"] == pytest.approx(1.0)
    for row in curve.itertuples():
        expected = sum(revenues[: row.count_customers_cumulative])
        assert float(row.cumulative_realised_revenue) == pytest.approx(expected)


def test_referral_value_credits_c11_to_c01(tiny_warehouse):
    # c11 is the only referred customer (by c01): its realised profit goes to c01.
    rows = tiny_warehouse.query_df("select * from marts.customer_referral_value")
    assert rows["customer_id"].tolist() == ["c01"]
    row = rows.iloc[0]
    assert row["count_referred_customers"] == 1
    revenue, _, profit = _realised("c11")
    assert float(row["referred_realised_revenue"]) == pytest.approx(revenue)
    assert float(row["referred_realised_profit"]) == pytest.approx(profit)
    assert float(row["own_realised_profit"]) == pytest.approx(_realised("c01")[2])
    assert float(row["realised_profit_with_referrals"]) == pytest.approx(
        _realised("c01")[2] + profit
    )


def test_vip_membership_value(tiny_warehouse):
    # c01 is the only VIP member; everyone else is not.
    rows = tiny_warehouse.query_df("select * from marts.vip_membership_value").set_index(
        "is_vip_member"
    )
    ids = [c["customer_id"] for c in tiny.CUSTOMERS]
    total_revenue = sum(_realised(cid)[0] for cid in ids)
    total_profit = sum(_realised(cid)[2] for cid in ids)
    vip = rows.loc[True]
    assert vip["count_customers"] == 1
    assert vip["customer_share"] == pytest.approx(1 / len(ids))
    assert float(vip["realised_revenue"]) == pytest.approx(_realised("c01")[0])
    assert vip["revenue_share"] == pytest.approx(_realised("c01")[0] / total_revenue)
    assert vip["profit_share"] == pytest.approx(_realised("c01")[2] / total_profit)
    others = rows.loc[False]
    assert others["count_customers"] == len(ids) - 1
    assert float(others["realised_profit"]) == pytest.approx(total_profit - _realised("c01")[2])
    # Money per customer: the exact quotient rounded half away from zero to the cent.
    others_revenue = Decimal(f"{total_revenue - _realised('c01')[0]:.2f}")
    cent = Decimal("0.01")
    expected = (others_revenue / (len(ids) - 1)).quantize(cent, rounding=ROUND_HALF_UP)
    assert Decimal(str(others["revenue_per_customer"])) == expected


def test_service_performance_by_month(tiny_warehouse):
    # t2: c01's inquiry on 2026-04-02 09:00:40, answered 09:30:20 (29 min 40 s),
    # resolved 10:00:10 (59 min 30 s): elapsed time, not minute boundaries crossed.
    # t1: c10's complaint on 2026-05-10 09:00, answered 11:00, still open.
    rows = tiny_warehouse.query_df(
        "select * from marts.service_performance where segment_dimension = 'all'"
        " order by opened_month"
    )
    april, may = rows.to_dict("records")
    assert (april["count_tickets"], april["count_inquiries"], april["count_complaints"]) == (
        1,
        1,
        0,
    )
    assert april["median_first_response_hours"] == pytest.approx(1780 / 3600)
    assert april["median_resolution_hours"] == pytest.approx(3570 / 3600)
    assert april["share_answered_within_target"] == 1.0
    assert april["count_open_complaints_at_month_end"] == 0
    assert (may["count_tickets"], may["count_complaints"], may["count_resolved"]) == (1, 1, 0)
    assert may["p90_first_response_hours"] == pytest.approx(2.0)
    assert may["count_open_complaints_at_month_end"] == 1


def test_service_response_outcomes_band_customers(tiny_warehouse):
    # c01 (1,780 s) and c10 (2 h) were both answered within the 4-hour target.
    rows = tiny_warehouse.query(
        "select response_band, count_customers, mean_first_response_hours"
        " from marts.service_response_outcomes"
    )
    assert rows == [("fast", 2, pytest.approx((1780 / 3600 + 2) / 2))]


def test_retention_economics_on_the_tiny_company(tiny_warehouse):
    # Every tiny customer came online (default 120.00 per customer with a
    # purchase); nobody was contacted, so keeping them cost the two tickets.
    buyers = [c["customer_id"] for c in tiny.CUSTOMERS if _purchases(c["customer_id"])]
    years = sum((AS_OF - _purchases(cid)[0][0]).days / 365.25 for cid in buyers)
    tickets = [t for t in tiny.TICKETS if t[1] in buyers]
    row = tiny_warehouse.query_df(
        "select * from marts.retention_economics"
        " where acquisition_channel = 'all' and value_tier = 'all'"
    ).iloc[0]
    assert row["count_customers"] == len(buyers)
    assert float(row["acquisition_cost_per_customer"]) == pytest.approx(120.0)
    assert row["count_contacts"] == 0
    assert float(row["retention_cost"]) == pytest.approx(len(tickets) * COST_PER_TICKET)
    assert row["customer_years"] == pytest.approx(years)
    assert row["acquisition_to_retention_cost_ratio"] == pytest.approx(
        120.0 / (len(tickets) * COST_PER_TICKET / years), rel=1e-3
    )
    profit = sum(_realised(cid)[2] for cid in buyers) / len(buyers)
    assert float(row["profit_per_customer_after_acquisition"]) == pytest.approx(
        profit - 120.0, abs=0.01
    )


def test_satisfaction_trends_nps_by_month(tiny_warehouse):
    rows = dict(
        tiny_warehouse.query(
            "select strftime(survey_month, '%Y-%m'), net_promoter_score"
            " from marts.satisfaction_trends where value_tier = 'all'"
        )
    )
    # May 2026: c02 answered 5 (detractor), c10 answered 0 (detractor): NPS -100.
    assert rows["2026-05"] == pytest.approx(-100.0)
    # June 2026: c01 answered 10: NPS 100.
    assert rows["2026-06"] == pytest.approx(100.0)


def test_kotler_matrix_seed_corners(tiny_warehouse):
    # Kotler's matrix: many customers with low margin -> basic; few with high -> partnership.
    levels = dict(
        ((band, margin), level)
        for band, margin, level in tiny_warehouse.query(
            "select customer_count_band, margin_band, relationship_level "
            "from reference.kotler_relationship_matrix"
        )
    )
    assert len(levels) == 9
    assert levels[("many", "low")] == "basic"
    assert levels[("few", "high")] == "partnership"
    assert levels[("many", "high")] == "accountable"
    assert levels[("few", "low")] == "accountable"


def test_replacement_due_on_the_tiny_fixture(tiny_warehouse):
    # p1 (coffee, 30-day cycle): c01 last bought it 06-30 -> due 07-30 (+30 days);
    # c11 on 06-25 -> 07-25 (+25). c03 (2025-12-01) and c08 (2024) are long past.
    # p2 (filters, 90 days): c09 on 06-10 -> 09-08 (+70), outside the window.
    rows = tiny_warehouse.query(
        "select customer_id, product_id, cast(due_date as varchar), days_until_due "
        "from marts.replacement_due order by customer_id"
    )
    assert rows == [("c01", "p1", "2026-07-30", 30), ("c11", "p1", "2026-07-25", 25)]


def test_repurchase_cycles_on_the_tiny_fixture(tiny_warehouse):
    # c01 coffee: 03-02, 04-01, 05-01, 05-31, 06-30 -> four 30-day intervals.
    # c02 books: 01-15, 03-01, 04-15, 06-01 -> 45, 45, 47 days.
    rows = {
        (customer_id, category): (purchases, median, is_regular, str(next_date))
        for customer_id, category, purchases, median, is_regular, next_date in tiny_warehouse.query(
            "select customer_id, category, count_purchases, median_interval_days, is_regular, "
            "expected_next_purchase_date from marts.customer_repurchase_cycles"
        )
    }
    assert rows[("c01", "coffee")] == (5, 30.0, True, "2026-07-30")
    assert rows[("c02", "books")] == (4, 45.0, True, "2026-07-16")
    assert rows[("c08", "coffee")] == (3, 31.0, True, "2024-10-02")
    assert set(rows) == {("c01", "coffee"), ("c02", "books"), ("c08", "coffee")}


def test_too_few_customers_use_the_simple_estimate_and_say_so(tiny_warehouse, customers):
    ((status, count_customers, message, model, reason),) = tiny_warehouse.query(
        "select status, count_customers, status_message, purchase_model, purchase_model_reason"
        " from marts.clv_model_fits"
    )
    assert (status, count_customers) == ("not_fitted_too_few_customers", 10)
    assert "clv_min_customers_to_fit" in message
    assert model == "mbgnbd" and "validation skipped" in reason
    assert set(customers["potential_value_method"]) == {
        "customer_rate",
        "population_rate_fallback",
        "no_purchases",
    }


def test_holdout_validation_is_skipped_with_its_reason(tiny_warehouse):
    # 26 weeks before 2026-06-30 is 2025-12-30: only c03 (2025-12-01), c04
    # (2025-08-01) and c08 (three times in 2024) had bought by then: 3
    # customers, 1 with a repeat purchase, far below the 200 needed to fit.
    ((status, end, message),) = tiny_warehouse.query(
        "select status, cast(calibration_end_date as varchar), message"
        " from marts.clv_model_validation"
    )
    assert (status, end) == ("skipped", "2025-12-30")
    assert "3 customers had bought by the calibration end 2025-12-30" in message
    assert "1 of them more than once" in message
    assert "clv_holdout_weeks" in message


def test_model_fit_history_keeps_one_row_per_build(tiny_warehouse):
    before = tiny_warehouse.query("select count(*) from marts.clv_model_fits")[0][0]
    result = tiny_warehouse.build("--select", "int_clv_model_fit", "clv_model_fits")
    assert result.ok, result.output[-3000:]
    rows = tiny_warehouse.query("select build_id from marts.clv_model_fits")
    assert len(rows) == before + 1 == len({build_id for (build_id,) in rows})
