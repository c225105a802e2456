"""The bundled sample, built by dbt: the structure the generator planted is recovered.

The truth files in seeds/sample/_truth/ say what the generator planted (each
customer's archetype and attitude, how many rows of each kind of mess); the
marts are computed by dbt without ever reading them.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from tests.dbt_runner import REPO_ROOT, count_raw_rows, raw_contract

pytestmark = pytest.mark.sample

TRUTH_DIR = REPO_ROOT / "seeds" / "sample" / "_truth"


def _truth(name: str) -> list[dict[str, str]]:
    with (TRUTH_DIR / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def customers(sample_warehouse):
    frame = sample_warehouse.query_df("select * from marts.customers")
    return frame.set_index("customer_id")


@pytest.fixture(scope="module")
def planted():
    return {row["customer_id"]: row for row in _truth("planted_customers.csv")}


def _share(customers, planted, archetype: str, column: str, value: str) -> float:
    members = [
        cid
        for cid, row in planted.items()
        if row["archetype"] == archetype and cid in customers.index
    ]
    assert members, archetype
    return sum(customers.loc[cid, column] == value for cid in members) / len(members)


def test_every_loyalty_class_occurs(customers):
    assert set(customers["loyalty_class"]) == {
        "true_loyalty",
        "latent_loyalty",
        "spurious_loyalty",
        "no_loyalty",
        "unknown",
    }


def test_every_customer_type_and_ladder_stage_occurs(customers):
    assert set(customers["customer_type"]) == {
        "consumer",
        "buyer",
        "business",
        "intermediary",
        "agent",
    }
    assert set(customers["loyalty_ladder_stage"]) == {
        "suspect",
        "prospect",
        "first_time_customer",
        "repeat_customer",
        "advocate",
    }
    assert set(customers["nps_category"]) == {"promoter", "passive", "detractor", "unknown"}


def test_tiers_follow_the_configured_shares(customers):
    count = len(customers)
    tiers = Counter(customers["value_tier"])
    # Ranks are whole numbers and ties share a rank: each cut-off may move by a customer or two.
    assert abs(tiers["platinum"] - 0.05 * count) <= 2
    assert abs(tiers["platinum"] + tiers["gold"] - 0.20 * count) <= 2
    assert (customers.loc[customers["value_rank"] > 0.70 * count, "value_tier"] == "lead").all()
    assert (customers.loc[customers["total_lifetime_value"] <= 0, "value_tier"] == "lead").all()
    assert tiers["lead"] >= 0.30 * count - 2


@pytest.mark.parametrize(
    ("archetype", "column", "value", "minimum_share"),
    [
        ("true_loyal", "loyalty_class", "true_loyalty", 0.8),
        ("spurious_loyal", "loyalty_class", "spurious_loyalty", 0.8),
        ("latent_loyal", "loyalty_class", "latent_loyalty", 0.8),
        ("disloyal", "loyalty_class", "no_loyalty", 0.8),
        ("churned", "lifecycle_status", "churned", 0.95),
        ("prospect", "count_purchases", 0, 1.0),
        ("one_time", "count_purchases", 1, 0.95),
    ],
)
def test_planted_archetypes_are_recovered(
    customers, planted, archetype, column, value, minimum_share
):
    assert _share(customers, planted, archetype, column, value) >= minimum_share


def test_lifecycle_never_contradicts_churn_risk(customers):
    status, band = customers["lifecycle_status"], customers["churn_risk_band"]
    assert ((status == "churned") & (band == "low")).sum() == 0
    assert ((status == "active") & (band == "high")).sum() == 0


def test_regular_repurchasers_show_their_cycle(customers, planted):
    members = [
        (cid, float(row["planted_cycle_days"]))
        for cid, row in planted.items()
        if row["archetype"] == "regular_repurchaser" and cid in customers.index
    ]
    within = [
        abs(customers.loc[cid, "median_purchase_interval_days"] - cycle) <= 0.15 * cycle
        for cid, cycle in members
    ]
    assert sum(within) / len(within) >= 0.9


@pytest.mark.parametrize("table", raw_contract())
def test_every_raw_row_reconciles(sample_warehouse, table):
    # The raw rows counted in the CSV files by Python, against dbt's verdicts.
    ((judged,),) = sample_warehouse.query(f"select count(*) from staging.base_crm__{table}")
    ((staged,),) = sample_warehouse.query(f"select count(*) from staging.stg_crm__{table}")
    outcomes = sample_warehouse.row_outcomes(table)
    assert judged == count_raw_rows(sample_warehouse.raw_dir, table) > 0
    assert outcomes["valid"] + outcomes["quarantined"] + outcomes["duplicate"] == judged
    assert outcomes["duplicate"] == outcomes["exact_copy"] + outcomes["superseded_version"]
    assert staged == outcomes["valid"]


def test_planted_mess_is_found(sample_warehouse):
    planted = Counter()
    for row in _truth("planted_mess.csv"):
        planted[(row["table"], row["kind"])] += int(row["count"])
    for table in raw_contract():
        outcomes = sample_warehouse.row_outcomes(table)
        assert outcomes["exact_copy"] == planted[(table, "exact_duplicate")], table
        assert outcomes["superseded_version"] == planted[(table, "superseded_version")], table
        invalid = sum(
            count
            for (planted_table, kind), count in planted.items()
            if planted_table == table and kind not in ("exact_duplicate", "superseded_version")
        )
        assert outcomes["quarantined"] == invalid, table


def test_regular_repurchasers_are_found_with_their_planted_cycle(sample_warehouse, planted):
    # Issue: proactive service. Planted cycles of 30-90 days with 8% jitter: the
    # median interval must be within 10% of the planted cycle and flagged regular.
    cycles = {
        (customer_id, category): (median, is_regular)
        for customer_id, category, median, is_regular in sample_warehouse.query(
            "select customer_id, category, median_interval_days, is_regular "
            "from marts.customer_repurchase_cycles"
        )
    }
    members = [row for row in planted.values() if row["archetype"] == "regular_repurchaser"]
    found = [cycles.get((row["customer_id"], row["planted_category"])) for row in members]
    assert all(result is not None and result[1] for result in found)
    within = [
        abs(median - float(row["planted_cycle_days"])) <= 0.10 * float(row["planted_cycle_days"])
        for row, (median, _) in zip(members, found, strict=True)
    ]
    assert sum(within) / len(within) >= 0.95


def test_predictive_models_are_fitted_on_the_sample(sample_warehouse, customers):
    ((status, fitted_customers, model, reason, r, dropout_model, gamma_gamma_p),) = (
        sample_warehouse.query(
            "select status, count_customers, purchase_model, purchase_model_reason,"
            " purchase_model_r, dropout_model, gamma_gamma_p from marts.clv_model_fits"
        )
    )
    assert status == "fitted"
    assert fitted_customers == int((customers["count_purchases"] > 0).sum())
    assert r > 0 and gamma_gamma_p > 0 and dropout_model is not None
    # The model the marts use is the one the holdout validation chose, for the reason it gives.
    chosen = sample_warehouse.query(
        "select purchase_model, choice_reason from marts.clv_model_validation"
        " where comparison = 'summary' and is_chosen"
    )
    assert chosen == [(model, reason)]
    methods = set(customers["potential_value_method"])
    assert {"model_gamma_gamma_spend", "model_population_spend", "no_purchases"} <= methods
    assert methods <= {
        "model_gamma_gamma_spend",
        "model_population_spend",
        "negative_margin_after_cost_to_serve",
        "no_purchases",
    }


def test_potential_value_is_negative_only_with_its_reason(customers):
    negative = customers[customers["potential_value"] < 0]
    assert set(negative["potential_value_method"]) <= {"negative_margin_after_cost_to_serve"}


def test_every_purchase_model_is_validated_on_the_holdout(sample_warehouse, customers):
    summary = sample_warehouse.query_df(
        "select * from marts.clv_model_validation where comparison = 'summary'"
    ).set_index("purchase_model")
    assert set(summary.index) == {"bgnbd", "mbgnbd", "pareto_nbd"}
    # Pareto/NBD has no finite fit when customers barely differ in their
    # dropout (the sample's planted churn), and says so; the other two fit.
    assert (summary.loc[["bgnbd", "mbgnbd"], "status"] == "fitted").all()
    not_fitted = summary[summary["status"] != "fitted"]
    assert (not_fitted["message"].str.len() > 0).all()
    assert summary["is_chosen"].sum() == 1
    assert summary.loc[summary["is_chosen"], "status"].tolist() == ["fitted"]
    fitted = summary[summary["status"] == "fitted"]
    assert (fitted["mean_absolute_error"] > 0).all()
    # Every model is judged on the same customers and the same actual purchases.
    assert summary["count_customers"].nunique() == 1
    assert summary["actual_repeat_purchases"].nunique() == 1
    buckets = sample_warehouse.query_df(
        "select purchase_model, sum(count_customers) as customers"
        " from marts.clv_model_validation"
        " where comparison = 'frequency_bucket' group by purchase_model"
    ).set_index("purchase_model")["customers"]
    assert (buckets == summary.loc[buckets.index, "count_customers"]).all()
    # The holdout weeks' actual purchases add up to the summary's.
    weeks = sample_warehouse.query_df(
        "select purchase_model, sum(actual_repeat_purchases) as actual"
        " from marts.clv_model_validation"
        " where comparison = 'week' and is_holdout group by purchase_model"
    ).set_index("purchase_model")["actual"]
    assert weeks.to_numpy() == pytest.approx(summary.loc[weeks.index, "actual_repeat_purchases"])


def test_planted_churned_customers_have_low_probability_alive(customers, planted):
    def probabilities(archetype):
        ids = [cid for cid, row in planted.items() if row["archetype"] == archetype]
        return customers.loc[ids, "probability_active"]

    churned = probabilities("churned")
    assert churned.mean() < 0.3
    assert (churned < 0.5).mean() >= 0.85
    assert probabilities("true_loyal").mean() > 0.9
    assert probabilities("regular_repurchaser").mean() > 0.9


def test_vip_membership_is_planted_at_random(sample_warehouse, customers):
    # The generator makes 10% of customers VIP members independently of how
    # they buy: their share of customers is about 10% and their share of
    # revenue about the same (no planted VIP effect).
    rows = sample_warehouse.query_df("select * from marts.vip_membership_value").set_index(
        "is_vip_member"
    )
    assert rows["count_customers"].sum() == len(customers)
    assert rows["customer_share"].sum() == pytest.approx(1.0)
    assert rows["revenue_share"].sum() == pytest.approx(1.0)
    vip = rows.loc[True]
    assert vip["count_customers"] == customers["is_vip_member"].sum()
    assert 0.08 < vip["customer_share"] < 0.12
    assert 0.5 < vip["revenue_share"] / vip["customer_share"] < 1.5


def test_referral_value_adds_up_to_the_referred_customers(sample_warehouse, customers):
    # 8% of customers are planted as referred by an earlier customer.
    referred = customers[customers["referred_by_customer_id"].notna()]
    assert 0.06 < len(referred) / len(customers) < 0.10
    rows = sample_warehouse.query_df("select * from marts.customer_referral_value")
    assert rows["count_referred_customers"].sum() == len(referred)
    assert set(rows["customer_id"]) == set(referred["referred_by_customer_id"])
    assert float(rows["referred_realised_profit"].sum()) == pytest.approx(
        float(referred["realised_profit"].sum())
    )


def test_revenue_concentration_beside_profit(sample_warehouse):
    summary = sample_warehouse.query_df("select * from marts.value_concentration_summary").iloc[0]
    # The figures README.md quotes for the bundled sample.
    assert round(100 * summary["top_customers_profit_share"]) == 73
    assert round(100 * summary["top_customers_revenue_share"]) == 72
    assert 0.2 < summary["top_customers_revenue_share"] < 1
    assert 0 < summary["bottom_customers_revenue_share"] < 0.3
    curve = sample_warehouse.query_df(
        "select * from marts.value_concentration order by customer_percentile"
    )
    assert curve["cumulative_revenue_share"].is_monotonic_increasing
    assert curve["cumulative_revenue_share"].iloc[-1] == pytest.approx(1.0)


# The planted effect of response time on churn (seeds/README.md): customers
# who lapsed were answered slowly more often. Its size is read from the truth
# file (the lapsed share of each planted response speed); the mart measures
# the same difference with its own churn rule and bands. Stated tolerance:
# 5 points (the marts' churn rule and the generator's lapsed rule differ for
# a few customers with a purchase rhythm of their own).
RESPONSE_EFFECT_TOLERANCE = 0.05


def test_planted_response_time_effect_on_churn_is_recovered(sample_warehouse, planted):
    with_ticket = [row for row in planted.values() if row["response_speed"]]
    lapsed_share = {
        speed: sum(row["is_lapsed"] == "true" for row in rows) / len(rows)
        for speed in ("fast", "same_day", "slow")
        if (rows := [row for row in with_ticket if row["response_speed"] == speed])
    }
    planted_effect = lapsed_share["slow"] - lapsed_share["fast"]
    assert planted_effect > 0.2  # the generator's shares make it about 30 points
    bands = sample_warehouse.query_df("select * from marts.service_response_outcomes").set_index(
        "response_band"
    )
    assert bands.loc["fast", "count_customers"] == sum(
        row["response_speed"] == "fast" for row in with_ticket
    )
    measured = bands.loc["slow", "churn_rate"] - bands.loc["fast", "churn_rate"]
    assert measured == pytest.approx(bands.loc["slow", "churn_rate_difference_from_fast"])
    assert measured > 0
    assert abs(measured - planted_effect) <= RESPONSE_EFFECT_TOLERANCE
    moderate = bands.loc["moderate", "churn_rate_difference_from_fast"]
    assert 0 < moderate < measured
    assert bands.loc["slow", "repurchase_rate"] < bands.loc["fast", "repurchase_rate"]


def test_service_performance_segments_add_up_to_all(sample_warehouse, planted):
    rows = sample_warehouse.query_df("select * from marts.service_performance")
    totals = rows.groupby(["opened_month", "segment_dimension"])[
        ["count_tickets", "count_complaints", "count_open_complaints_at_month_end"]
    ].sum()
    for dimension in ("value_tier", "customer_type"):
        by_segment = totals.xs(dimension, level="segment_dimension")
        everyone = totals.xs("all", level="segment_dimension").loc[by_segment.index]
        assert (
            (
                by_segment[["count_tickets", "count_complaints"]]
                == everyone[["count_tickets", "count_complaints"]]
            )
            .all()
            .all()
        )
    tickets = sample_warehouse.query("select count(*) from marts.service_tickets")[0][0]
    assert rows.loc[rows["segment_dimension"] == "all", "count_tickets"].sum() == tickets
    # One ticket per customer with a ticket; the planted fast ones (0.25-3.75
    # hours) are exactly those answered within the 4-hour target.
    everyone = rows[rows["segment_dimension"] == "all"]
    within_target = (everyone["share_answered_within_target"] * everyone["count_tickets"]).sum()
    fast = sum(row["response_speed"] == "fast" for row in planted.values())
    assert round(within_target) == fast
    assert (rows["p90_first_response_hours"] >= rows["median_first_response_hours"]).all()


def _seed(name: str) -> dict[str, float]:
    path = REPO_ROOT / "dbt_project" / "seeds" / f"{name}.csv"
    with path.open(encoding="utf-8") as handle:
        return {row[0]: float(row[1]) for row in list(csv.reader(handle))[1:]}


def test_contact_costs_enter_cost_to_serve(sample_warehouse):
    # The two planted waves (contact_history.csv): only treatment rows are
    # contacts, each priced by its channel in the seed contact_costs.
    prices = _seed("contact_costs")
    with (REPO_ROOT / "seeds" / "sample" / "contact_history.csv").open(encoding="utf-8") as handle:
        contacts = [row for row in csv.DictReader(handle) if row["assignment"] == "treatment"]
    expected = sum(prices[row["channel"]] for row in contacts)
    assert {row["channel"] for row in contacts} == {"phone", "sms"}
    (contact_cost,) = sample_warehouse.query(
        "select contact_cost from marts.retention_economics"
        " where acquisition_channel = 'all' and value_tier = 'all'"
    )[0]
    assert float(contact_cost) == pytest.approx(expected)
    # cost to serve = orders' + tickets' + contacts'
    (difference,) = sample_warehouse.query(
        "select (select sum(cost_to_serve) from marts.customer_lifetime_value)"
        " - (select sum(cost_to_serve) from marts.orders)"
        " - 15.00 * (select count(*) from marts.service_tickets)"
    )[0]
    assert float(difference) == pytest.approx(expected)


def test_retention_economics_per_channel(sample_warehouse, customers):
    costs = _seed("acquisition_costs")
    rows = sample_warehouse.query_df(
        "select * from marts.retention_economics where value_tier = 'all'"
    ).set_index("acquisition_channel")
    buyers = customers[customers["count_purchases"] > 0]
    assert rows.loc["all", "count_customers"] == len(buyers)
    for channel, count in buyers["acquisition_channel"].value_counts().items():
        assert rows.loc[channel, "count_customers"] == count
        assert float(rows.loc[channel, "acquisition_cost_per_customer"]) == costs[channel]
    assert rows["count_customers_without_acquisition_cost"].sum() == 0
    # Referral, the cheapest channel by default, pays back the soonest.
    ratios = rows.drop(index="all")["acquisition_to_retention_cost_ratio"]
    assert ratios.idxmin() == "referral"
