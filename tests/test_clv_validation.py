"""Holdout validation (orchestration.clv.validation): tables by hand, the chooser on simulations."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from orchestration.clv import BgNbdFit, ClvFitError, holdout_observations
from orchestration.clv.simulate import simulate_holdout
from orchestration.clv.validation import (
    HoldoutObservations,
    ModelValidation,
    choose_model,
    compare_models,
    equal_error,
    frequency_buckets,
    validate_model,
    weekly_tracking,
)


@dataclass(frozen=True)
class LinearStub:
    """A stand-in fit with predictions simple enough to work out by hand.

    A new customer expects t / 10 repeat purchases in t weeks; a customer
    with x repeat purchases expects (x + 1) t / 10 in the next t weeks.
    """

    model: str = "stub"

    def expected_purchases_new_customer(self, t):
        return np.asarray(t, dtype=float) / 10

    def expected_purchases(self, t, frequency, recency, age):
        return (np.asarray(frequency, dtype=float) + 1) * t / 10


def two_customers() -> HoldoutObservations:
    # Calibration ends at week 0; the holdout runs 2 weeks.
    # Customer A: first purchase at week -2, repeats at -1.5 and -0.5 (x = 2,
    #   t_x = 1.5, T = 2), one repeat in the holdout at +0.5.
    # Customer B: first purchase at week -1, a repeat at -0.2 (x = 1, t_x = 0.8,
    #   T = 1), one repeat in the holdout at +1.5.
    # Weekly repeats (week k covers (k, k + 1]): -2: 1 (A), -1: 2 (A, B),
    # 0: 1 (A), 1: 1 (B).
    return HoldoutObservations(
        frequency=np.array([2.0, 1.0]),
        recency=np.array([1.5, 0.8]),
        age=np.array([2.0, 1.0]),
        holdout_purchases=np.array([1.0, 1.0]),
        holdout_weeks=2.0,
        week_index=np.array([-2, -1, 0, 1]),
        count_repeat_purchases=np.array([1.0, 2.0, 1.0, 1.0]),
    )


def test_frequency_buckets_by_hand():
    # Calibration frequencies 0, 0, 1, 3, 7, 9: bucket 0 has two customers
    # (actual 0 and 1: mean 0.5; expected 0.2 and 0.4: mean 0.3), bucket 1 one,
    # bucket 3 one, bucket 7+ the customers with 7 and 9 (actual 5 and 3: mean
    # 4; expected 4 and 6: mean 5); buckets 2, 4, 5 and 6 are empty.
    buckets = frequency_buckets(
        [0, 0, 1, 3, 7, 9], [0, 1, 2, 1, 5, 3], [0.2, 0.4, 1.0, 1.5, 4.0, 6.0]
    )
    assert buckets.labels == ("0", "1", "2", "3", "4", "5", "6", "7+")
    np.testing.assert_array_equal(buckets.count_customers, [2, 1, 0, 1, 0, 0, 0, 2])
    np.testing.assert_allclose(
        buckets.actual_mean, [0.5, 2, np.nan, 1, np.nan, np.nan, np.nan, 4], equal_nan=True
    )
    np.testing.assert_allclose(
        buckets.expected_mean, [0.3, 1, np.nan, 1.5, np.nan, np.nan, np.nan, 5], equal_nan=True
    )
    assert buckets.rows()[7] == {
        "frequency_bucket": "7+",
        "count_customers": 2,
        "actual_mean_holdout_purchases": 4.0,
        "expected_mean_holdout_purchases": 5.0,
    }


def test_weekly_tracking_and_errors_by_hand():
    validation = validate_model(LinearStub(), two_customers())
    # Expected repeats since the first purchase at the week ends -2, -1, 0, 1, 2:
    # A (first at -2): 0, 0.1, 0.2, 0.3, 0.4; B (first at -1): 0, 0, 0.1, 0.2,
    # 0.3. Together 0, 0.1, 0.3, 0.5, 0.7: weekly 0.1, 0.2, 0.2, 0.2.
    tracking = validation.tracking
    np.testing.assert_array_equal(tracking.week_index, [-2, -1, 0, 1])
    np.testing.assert_allclose(tracking.expected, [0.1, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(tracking.actual, [1, 2, 1, 1])
    np.testing.assert_allclose(tracking.actual_cumulative, [1, 3, 4, 5])
    np.testing.assert_allclose(tracking.expected_cumulative, [0.1, 0.3, 0.5, 0.7])
    assert [row["is_holdout"] for row in tracking.rows()] == [False, False, True, True]
    # Holdout of 2 weeks: A expects (2 + 1) 2 / 10 = 0.6, B (1 + 1) 2 / 10 = 0.4;
    # both made 1. Errors -0.4 and -0.6: mean absolute 0.5, mean squared
    # (0.16 + 0.36) / 2 = 0.26, total bias 1.0 - 2 = -1.0.
    np.testing.assert_allclose(validation.expected_holdout, [0.6, 0.4])
    assert validation.mean_absolute_error == pytest.approx(0.5)
    assert validation.mean_squared_error == pytest.approx(0.26)
    assert validation.total_bias == pytest.approx(-1.0)
    assert validation.summary_row()["root_mean_squared_error"] == pytest.approx(0.26**0.5)
    np.testing.assert_allclose(validation.buckets.actual_mean[[1, 2]], [1, 1])


def test_tracking_ends_at_the_sum_of_unconditional_expectations():
    # The cumulative expected repeats at the holdout end are the sum over
    # customers of E[X(T + holdout)] for a new customer (a real model here).
    observations = two_customers()
    fit = BgNbdFit.from_parameters(0.25, 4.0, 0.8, 2.5)
    tracking = weekly_tracking(fit, observations)
    np.testing.assert_allclose(
        tracking.expected_cumulative[-1],
        fit.expected_purchases_new_customer(observations.age + 2.0).sum(),
        rtol=1e-12,
    )


def test_weekly_counts_that_disagree_with_the_summary_fail_clearly():
    observations = two_customers()
    with pytest.raises(ClvFitError, match=r"add up to 2 repeat purchases in the calibration"):
        validate_model(
            LinearStub(), replace(observations, count_repeat_purchases=np.array([1.0, 1, 1, 1]))
        )
    with pytest.raises(ClvFitError, match=r"weeks \[2\], outside weeks -2..1"):
        validate_model(LinearStub(), replace(observations, week_index=np.array([-2, -1, 0, 2])))


def validation_with_errors(model: str, errors) -> ModelValidation:
    return ModelValidation(
        model=model,
        status="fitted",
        expected_holdout=np.asarray(errors, dtype=float),
        actual_holdout=np.zeros(len(errors)),
    )


def test_the_chooser_by_hand():
    # Squared errors per customer: a: 1, 0, 1, 0 (mean 0.5); b: 0, 0, 0, 0 (0);
    # c: 4, 4, 4, 4 (4). b has the lowest; its lead over a is 0.5 with paired
    # differences 1, 0, 1, 0: standard deviation 0.577, standard error 0.289,
    # twice that 0.577 > 0.5: equally good by the chooser's tolerance.
    validations = [
        validation_with_errors("a", [1, 0, -1, 0]),
        validation_with_errors("b", [0, 0, 0, 0]),
        validation_with_errors("c", [2, 2, -2, 2]),
        ModelValidation(model="d", status="not_fitted", message="d: too few customers"),
    ]
    choice = choose_model(validations)
    assert choice.model == "b"
    assert choice.reason.startswith(
        "b: lowest holdout mean squared error per customer (b 0, a 0.5, c 4)."
    )
    assert "Its lead over a, 0.5, is within 2 standard errors" in choice.reason
    assert "(0.289)" in choice.reason and "equally well" in choice.reason
    assert choice.reason.endswith("Not fitted: d.")
    assert equal_error(validations[0], validations[1], "mean_squared_error")
    assert not equal_error(validations[1], validations[2], "mean_squared_error")
    # Pinned: the pin wins, the reason still shows the errors.
    pinned = choose_model(validations, pinned="c")
    assert pinned.model == "c" and "pinned by configuration" in pinned.reason
    with pytest.raises(ClvFitError, match="pinned purchase model 'd' was not fitted"):
        choose_model(validations, pinned="d")
    with pytest.raises(ClvFitError, match="No purchase model could be fitted"):
        choose_model(validations[3:])


# Parameters under which the three models' predictions differ (many one-time
# buyers, strong dropout): BG/NBD keeps every one-time buyer alive, MBG/NBD
# lets them drop out at the first purchase only, Pareto/NBD at any time.
DISCRIMINATING = {
    "bgnbd": (0.5, 4.0, 3.0, 3.0),
    "mbgnbd": (0.8, 4.0, 3.0, 3.0),
    "pareto_nbd": (0.8, 4.0, 3.0, 40.0),
}


@pytest.mark.parametrize("model", list(DISCRIMINATING))
def test_the_chooser_picks_the_model_the_data_come_from(model):
    # 20,000 customers entering over 12 weeks, calibration to week 39, holdout
    # of 39 weeks (CDNOW's design). The chooser must pick the true model or one
    # whose holdout error is equal to it within the tolerance: the difference
    # of mean squared errors within 2 standard errors of the paired per-customer
    # differences (chance alone makes larger differences about 5% of the time
    # when two models are equally good). Squared error, because the models
    # predict means; by absolute error the truth loses (a model that predicts
    # fewer purchases is closer to the many zeros; tried on CDNOW-like data).
    observations = simulate_holdout(model, DISCRIMINATING[model], 20_000, seed=0)
    validations = compare_models(observations)
    by_name = {validation.model: validation for validation in validations}
    choice = choose_model(validations)
    truth, chosen = by_name[model], by_name[choice.model]
    assert choice.model == model or equal_error(truth, chosen, "mean_squared_error"), choice.reason
    # The data discriminate: some other fitted model is clearly worse.
    others = [v for v in validations if v.status == "fitted" and v.model != model]
    assert any(not equal_error(truth, other, "mean_squared_error") for other in others)
    # Totals: bias is expected minus actual over everyone.
    assert truth.total_bias == pytest.approx(
        truth.expected_holdout.sum() - observations.holdout_purchases.sum()
    )
    # The tracking's actual weekly counts are the simulated purchases, and
    # its holdout weeks add up to the holdout purchases.
    tracking = truth.tracking
    assert tracking.actual[tracking.week_index >= 0].sum() == observations.holdout_purchases.sum()


def test_a_model_that_cannot_be_fitted_is_reported_and_skipped():
    # Every customer has the same dropout probability: Pareto/NBD has no
    # finite fit (its s runs away); BG/NBD and MBG/NBD take their limit.
    observations = simulate_holdout("bgnbd", (0.5, 4.0, 3e9, 3e9), 3_000, seed=1)
    validations = compare_models(observations)
    statuses = {validation.model: validation.status for validation in validations}
    assert statuses == {"bgnbd": "fitted", "mbgnbd": "fitted", "pareto_nbd": "not_fitted"}
    pareto = validations[2]
    assert "s reached 30" in pareto.message
    assert np.isnan(pareto.summary_row()["mean_absolute_error"])
    assert choose_model(validations).reason.endswith("Not fitted: pareto_nbd.")


def test_holdout_observations_from_purchase_days_by_hand():
    # Calibration end 2026-01-01, as of 2026-01-15 (a 2-week holdout).
    # A: 12-18 (first), 12-25 (repeat, 7 days before the end: week -2 covers
    # days (-14, -7]), 01-08 (repeat in the holdout, day 7: week 0). B: 12-31
    # only in the calibration; 01-20 is after the as-of date. C first bought
    # on 01-05, after the calibration end: not in the calibration sample.
    days = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "B", "C"],
            "purchase_date": [
                "2025-12-18",
                "2025-12-25",
                "2026-01-08",
                "2025-12-31",
                "2026-01-20",
                "2026-01-05",
            ],
            "purchase_number": [1, 2, 3, 1, 2, 1],
        }
    )
    observations = holdout_observations(days, "2026-01-01", "2026-01-15", 2.0)
    assert observations.frequency.tolist() == [1.0, 0.0]
    assert observations.recency.tolist() == [1.0, 0.0]
    assert observations.age == pytest.approx([2.0, 1 / 7])
    assert observations.holdout_purchases.tolist() == [1.0, 0.0]
    assert observations.week_index.tolist() == [-2, 0]
    assert observations.count_repeat_purchases.tolist() == [1.0, 1.0]
