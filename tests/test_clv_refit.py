"""The refit cadence of the predictive CLV models (orchestration.clv.tables).

The models are fitted on the purchase days up to the fit date (the as-of
date, its week's Monday or its month's first day) and a build keeps the fit
an earlier build made when the inputs are the same, so a kept fit must equal
a fresh fit for the same fit date. The dbt side (the kept table read back
from DuckDB) is tested in test_incremental.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from orchestration.clv.errors import ClvFitError
from orchestration.clv.tables import (
    ClvConfig,
    fit_date,
    fit_fingerprint,
    fit_summary,
    model_fit,
    model_validation,
)

# 2026-06-29 is a Monday: the weekly fit date of the whole week of as-of dates below.
MONDAY = date(2026, 6, 29)
FIRST_AS_OF = date(2026, 6, 30)
LAST_AS_OF = date(2026, 7, 2)
# Bookkeeping: whether this build fitted, and how long the fit took.
BOOKKEEPING = ["is_refitted", "fit_seconds"]


def _config(cadence: str, holdout_weeks: float = 26) -> ClvConfig:
    return ClvConfig.from_values(
        min_customers_to_fit=200,
        min_repeat_customers_to_fit=50,
        holdout_weeks=holdout_weeks,
        purchase_model="",
        horizon_months=12,
        annual_discount_rate=0.1,
        refit_cadence=cadence,
    )


def _numbered(days: pd.DataFrame) -> pd.DataFrame:
    """purchase_number per customer by date, as int_customer_purchase_days numbers them."""
    days = days.sort_values(["customer_id", "purchase_date"], ignore_index=True)
    days["purchase_number"] = days.groupby("customer_id").cumcount() + 1
    return days


@pytest.fixture(scope="module")
def purchase_days() -> pd.DataFrame:
    """400 customers with purchase days over two years up to FIRST_AS_OF (seeded)."""
    random = np.random.default_rng(7)
    rows = []
    for number in range(400):
        day = FIRST_AS_OF - timedelta(days=int(random.integers(0, 730)))
        gap = float(random.uniform(10, 120))
        # Spend varies around each customer's own mean (what Gamma-Gamma models).
        mean_spend = float(random.gamma(2.0, 30.0))
        while day <= FIRST_AS_OF:
            spend = round(mean_spend * float(random.gamma(4.0, 0.25)) + 1, 2)
            rows.append((f"c{number:03d}", day, spend))
            if random.random() < 0.3:  # this customer stops buying
                break
            day += timedelta(days=1 + int(random.exponential(gap)))
    frame = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "net_revenue"])
    return _numbered(frame)


def _with(days: pd.DataFrame, *new: tuple[str, date, float]) -> pd.DataFrame:
    added = pd.DataFrame(list(new), columns=["customer_id", "purchase_date", "net_revenue"])
    return _numbered(pd.concat([days.drop(columns="purchase_number"), added]))


def _fresh(as_of: date, days: pd.DataFrame, config: ClvConfig):
    validation = model_validation(as_of, days, config)
    return validation, model_fit(as_of, days, validation, config)


def _kept(as_of: date, days: pd.DataFrame, config: ClvConfig, previous):
    validation = model_validation(as_of, days, config, previous[0])
    return validation, model_fit(as_of, days, validation, config, previous[1])


@pytest.mark.parametrize(
    ("as_of", "cadence", "expected"),
    [
        (LAST_AS_OF, "daily", LAST_AS_OF),
        (LAST_AS_OF, "weekly", MONDAY),  # a Thursday: back to its Monday
        (MONDAY, "weekly", MONDAY),
        (LAST_AS_OF, "monthly", date(2026, 7, 1)),
        (FIRST_AS_OF, "monthly", date(2026, 6, 1)),
    ],
)
def test_the_fit_date_follows_the_cadence(as_of, cadence, expected):
    assert fit_date(as_of, cadence) == expected


def test_an_unknown_cadence_says_which_ones_exist():
    with pytest.raises(ClvFitError, match="daily, weekly, monthly"):
        _config("hourly")


def test_the_fit_summary_counts_up_to_the_fit_date():
    days = _numbered(
        pd.DataFrame(
            [
                ("a", date(2026, 6, 1), 10.0),
                ("a", date(2026, 6, 15), 20.0),
                ("a", date(2026, 7, 1), 40.0),  # after the fit date: left out
                ("b", date(2026, 6, 20), 5.0),
                ("c", date(2026, 7, 1), 8.0),  # first purchase after the fit date
            ],
            columns=["customer_id", "purchase_date", "net_revenue"],
        )
    )
    summary = fit_summary(days, MONDAY).set_index("customer_id")
    assert list(summary.index) == ["a", "b"]
    # a: one repeat 14 days after the first purchase, which was 28 days before the Monday.
    assert summary.loc["a", ["frequency", "recency_weeks", "age_weeks"]].tolist() == [1, 2.0, 4.0]
    assert summary.loc["a", "mean_repeat_spend"] == 20.0
    # b: no repeat, first purchase 9 days before the Monday.
    assert summary.loc["b", ["frequency", "recency_weeks"]].tolist() == [0, 0.0]
    assert summary.loc["b", "age_weeks"] == pytest.approx(9 / 7)
    assert np.isnan(summary.loc["b", "mean_repeat_spend"])


@pytest.fixture(scope="module")
def weekly_first(purchase_days):
    """The weekly fit of the first build (as of Tuesday, fitted as of Monday)."""
    return _fresh(FIRST_AS_OF, purchase_days, _config("weekly"))


def test_a_weekly_fit_is_kept_within_its_week_and_equals_a_fresh_fit(weekly_first, purchase_days):
    # Two days later, with purchases after the Monday only: the fit's inputs are unchanged.
    days = _with(purchase_days, ("c000", date(2026, 7, 1), 30.0), ("n001", LAST_AS_OF, 12.0))
    validation, fit = _kept(LAST_AS_OF, days, _config("weekly"), weekly_first)
    assert fit.loc[0, "status"] == "fitted"
    assert (fit.loc[0, "fit_date"], fit.loc[0, "as_of_date"]) == (MONDAY, LAST_AS_OF)
    assert not fit.loc[0, "is_refitted"]
    fresh_validation, fresh_fit = _fresh(LAST_AS_OF, days, _config("weekly"))
    assert fresh_fit.loc[0, "is_refitted"]
    pd.testing.assert_frame_equal(validation, fresh_validation)
    pd.testing.assert_frame_equal(
        fit.drop(columns=BOOKKEEPING), fresh_fit.drop(columns=BOOKKEEPING)
    )


def test_a_late_purchase_before_the_fit_date_refits(weekly_first, purchase_days):
    # A new customer's purchase dated before the Monday arrives two days later.
    days = _with(purchase_days, ("late", date(2026, 6, 20), 25.0))
    _, fit = _kept(LAST_AS_OF, days, _config("weekly"), weekly_first)
    assert fit.loc[0, "is_refitted"]
    assert fit.loc[0, "count_customers"] == weekly_first[1].loc[0, "count_customers"] + 1
    assert fit.loc[0, "fit_fingerprint"] != weekly_first[1].loc[0, "fit_fingerprint"]


def test_a_changed_var_refits(weekly_first, purchase_days):
    validation, fit = _kept(
        FIRST_AS_OF, purchase_days, _config("weekly", holdout_weeks=20), weekly_first
    )
    assert fit.loc[0, "is_refitted"]
    assert set(validation["calibration_end_date"]) == {MONDAY - timedelta(weeks=20)}


def test_a_daily_fit_is_kept_on_the_same_data_and_refitted_on_the_next_day(purchase_days):
    first = _fresh(FIRST_AS_OF, purchase_days, _config("daily"))
    assert first[1].loc[0, "fit_date"] == FIRST_AS_OF
    _, again = _kept(FIRST_AS_OF, purchase_days, _config("daily"), first)
    assert not again.loc[0, "is_refitted"]
    pd.testing.assert_frame_equal(
        again.drop(columns=BOOKKEEPING), first[1].drop(columns=BOOKKEEPING)
    )
    _, next_day = _kept(LAST_AS_OF, purchase_days, _config("daily"), first)
    assert next_day.loc[0, "is_refitted"] and next_day.loc[0, "fit_date"] == LAST_AS_OF


def test_the_fingerprint_reads_values_not_the_types_an_engine_gives(purchase_days):
    """Spark hands the purchase days over as decimals, 32-bit numbers and timestamps where
    DuckDB gives floats, 64-bit numbers and dates: the same days, the same fingerprint."""
    config = _config("weekly")
    as_duckdb = fit_fingerprint(MONDAY, purchase_days, config)
    as_spark = purchase_days.assign(
        customer_id=purchase_days["customer_id"].astype("string"),
        purchase_date=pd.to_datetime(purchase_days["purchase_date"]),
        purchase_number=purchase_days["purchase_number"].astype("int32"),
        net_revenue=[Decimal(f"{value:.2f}") for value in purchase_days["net_revenue"]],
    )
    assert fit_fingerprint(MONDAY, as_spark, config) == as_duckdb
    # A cent more on one purchase day before the Monday is another fit.
    first_before = int(
        (pd.to_datetime(purchase_days["purchase_date"]) < pd.Timestamp(MONDAY)).idxmax()
    )
    changed = purchase_days.copy()
    changed.loc[first_before, "net_revenue"] += 0.01
    assert fit_fingerprint(MONDAY, changed, config) != as_duckdb
