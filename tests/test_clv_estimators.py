"""BG/NBD and Gamma-Gamma (orchestration.clv) against the reference implementation and simulations.

The reference is `lifetimes` (archived, but the implementation the literature
and the CDNOW example are published with); its CDNOW summary data ships with
it and is read here by path.
"""

from __future__ import annotations

from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
import pytest

from orchestration.clv import (
    BgNbdFit,
    ClvFitError,
    discounted_value_of_purchases,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    standard_errors,
)
from orchestration.clv.bgnbd import (
    _UniqueRows,
    log_likelihood_per_customer,
    log_likelihood_same_dropout,
)
from orchestration.clv.simulate import simulate_bgnbd, simulate_gamma_gamma

CDNOW = (
    Path(lifetimes.__file__).parent / "datasets" / "cdnow_customers_summary_with_transactions.csv"
)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    frame = pd.read_csv(CDNOW)
    return frame.rename(
        columns={"x": "frequency", "t_x": "recency", "T": "age", "zbar": "monetary"}
    )


@pytest.fixture(scope="module")
def fits(cdnow):
    ours = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["age"])
    reference = lifetimes.BetaGeoFitter(penalizer_coef=0.0).fit(
        cdnow["frequency"], cdnow["recency"], cdnow["age"]
    )
    return ours, reference


def test_bgnbd_parameters_match_the_reference_on_cdnow(fits):
    ours, reference = fits
    expected = reference.params_[["r", "alpha", "a", "b"]].to_numpy()
    np.testing.assert_allclose(ours.parameters, expected, rtol=1e-3)


def test_bgnbd_predictions_match_the_reference_on_cdnow(cdnow, fits):
    ours, reference = fits
    frequency, recency, age = cdnow["frequency"], cdnow["recency"], cdnow["age"]
    for weeks in (10, 39):
        np.testing.assert_allclose(
            expected_purchases(ours, weeks, frequency, recency, age),
            reference.conditional_expected_number_of_purchases_up_to_time(
                weeks, frequency, recency, age
            ),
            rtol=1e-3,
        )
    np.testing.assert_allclose(
        probability_alive(ours, frequency, recency, age),
        reference.conditional_probability_alive(frequency, recency, age),
        rtol=1e-3,
    )


def test_standard_errors_match_the_reference_on_cdnow(cdnow, fits):
    ours, reference = fits
    errors = standard_errors(ours, cdnow["frequency"], cdnow["recency"], cdnow["age"])
    np.testing.assert_allclose(
        errors, reference.summary["se(coef)"][["r", "alpha", "a", "b"]].to_numpy(), rtol=1e-2
    )


def test_gamma_gamma_matches_the_reference_on_cdnow(cdnow):
    repeat = cdnow[(cdnow["frequency"] > 0) & (cdnow["monetary"] > 0)]
    ours = fit_gamma_gamma(repeat["frequency"], repeat["monetary"])
    reference = lifetimes.GammaGammaFitter(penalizer_coef=0.0).fit(
        repeat["frequency"], repeat["monetary"]
    )
    np.testing.assert_allclose(
        [ours.p, ours.q, ours.v], reference.params_[["p", "q", "v"]].to_numpy(), rtol=1e-3
    )
    np.testing.assert_allclose(
        expected_average_value(ours, repeat["frequency"], repeat["monetary"]),
        reference.conditional_expected_average_profit(repeat["frequency"], repeat["monetary"]),
        rtol=1e-3,
    )


@pytest.mark.parametrize("seed", [11, 12])
def test_bgnbd_recovers_simulated_parameters(seed):
    truth = np.array([0.25, 4.0, 0.8, 2.5])
    frequency, recency, age = simulate_bgnbd(20_000, *truth, seed=seed)
    fit = fit_bgnbd(frequency, recency, age)
    errors = standard_errors(fit, frequency, recency, age)
    assert np.all(np.abs(fit.parameters - truth) <= 3 * errors), (fit.parameters, errors)


def test_the_likelihood_over_unique_rows_and_its_gradient_match_the_sum_over_customers():
    frequency, recency, age = simulate_bgnbd(3_000, 0.25, 4.0, 0.8, 2.5, seed=4)
    # Weeks rounded to days, as in the dbt summary, so customers share rows.
    recency, age = np.floor(recency * 7) / 7, np.floor(age * 7) / 7
    rows = _UniqueRows(frequency, recency, age)
    assert len(rows.weights) < len(frequency) and rows.weights.sum() == len(frequency)
    cases = [
        (rows.beta_dropout, log_likelihood_per_customer, [0.25, 4.0, 0.8, 2.5]),
        (rows.beta_dropout, log_likelihood_per_customer, [1.3, 0.7, 12.0, 40.0]),
        (rows.same_dropout, log_likelihood_same_dropout, [0.25, 4.0, 0.3]),
        (rows.same_dropout, log_likelihood_same_dropout, [2.0, 9.0, 0.02]),
    ]
    for unique_rows, per_customer, parameters in cases:
        value, gradient = unique_rows(*parameters)

        def mean(values, per_customer=per_customer):
            return per_customer(np.asarray(values), frequency, recency, age).mean()

        np.testing.assert_allclose(value, mean(parameters), rtol=1e-13)
        # Central differences of the per-customer formula, step relative to each parameter.
        steps = np.array(parameters) * 1e-6
        numeric = [
            (mean(parameters + step) - mean(parameters - step)) / (2 * step[i])
            for i, step in enumerate(np.diag(steps))
        ]
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-9)


def test_same_dropout_is_the_limit_of_large_a_and_b():
    # With a, b -> infinity and a / (a + b) = p fixed, the BG/NBD likelihood and
    # predictions (here the reference implementation's) tend to the limit
    # formulas, with an error of order 1 / (a + b).
    frequency, recency, age = simulate_bgnbd(2_000, 0.25, 4.0, 0.8, 2.5, seed=1)
    r, alpha, p, scale = 0.25, 4.0, 0.3, 1e8
    np.testing.assert_allclose(
        log_likelihood_same_dropout(np.array([r, alpha, p]), frequency, recency, age),
        log_likelihood_per_customer(
            np.array([r, alpha, p * scale, (1 - p) * scale]), frequency, recency, age
        ),
        atol=1e-4,
    )
    limit = BgNbdFit.from_parameters(r, alpha, None, None, p)
    assert limit.same_dropout_for_everyone
    reference = lifetimes.BetaGeoFitter()
    reference.params_ = pd.Series({"r": r, "alpha": alpha, "a": p * scale, "b": (1 - p) * scale})
    np.testing.assert_allclose(
        expected_purchases(limit, 39, frequency, recency, age),
        reference.conditional_expected_number_of_purchases_up_to_time(39, frequency, recency, age),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        probability_alive(limit, frequency, recency, age),
        reference.conditional_probability_alive(frequency, recency, age),
        atol=1e-6,
    )


@pytest.mark.parametrize("seed", [6, 12])
def test_bgnbd_fits_the_same_dropout_limit_when_customers_do_not_differ(seed):
    # Every customer drops out with probability 0.05 (Beta(a, b) with a + b =
    # 1e12 is that). On these samples the likelihood rises all the way to the
    # limit a, b -> infinity: the search over finite (a, b) climbs that ridge
    # and stops with b > 1e6, which used to fail the plausibility check. The
    # fit is the limit model instead. Tolerances: a few standard errors at
    # 5,000 customers (fits on other seeds spread by about 5%).
    frequency, recency, age = simulate_bgnbd(
        5_000, 0.5, 6.0, 0.05e12, 0.95e12, min_age=50, max_age=170, seed=seed
    )
    fit = fit_bgnbd(frequency, recency, age)
    assert fit.same_dropout_for_everyone
    np.testing.assert_allclose([fit.r, fit.alpha, fit.p], [0.5, 6.0, 0.05], rtol=0.15)
    assert fit.log_likelihood == pytest.approx(
        log_likelihood_same_dropout(
            np.array([fit.r, fit.alpha, fit.p]), frequency, recency, age
        ).sum()
    )
    with pytest.raises(ClvFitError, match="infinite"):
        standard_errors(fit, frequency, recency, age)


def test_gamma_gamma_recovers_simulated_parameters():
    frequency, _, _ = simulate_bgnbd(20_000, 0.25, 4.0, 0.8, 2.5, seed=5)
    repeat = frequency[frequency > 0]
    monetary = simulate_gamma_gamma(repeat, p=6.0, q=4.0, v=15.0, seed=6)
    fit = fit_gamma_gamma(repeat, monetary)
    # Relative error of a few percent at this sample size (about 5,000 repeat customers).
    np.testing.assert_allclose([fit.p, fit.q, fit.v], [6.0, 4.0, 15.0], rtol=0.15)


def test_discounting_by_hand():
    # A customer with the CDNOW fit: the value is the month-by-month increments of
    # expected purchases, times the margin, discounted at (1 + 10%)^(1/12) - 1.
    frequency, recency, age = np.array([2.0]), np.array([30.43]), np.array([38.86])
    fit = fit_bgnbd(*simulate_bgnbd(3_000, 0.25, 4.0, 0.8, 2.5, seed=3))
    weeks = 52.1775 / 12
    monthly = 1.1 ** (1 / 12) - 1
    by_hand = sum(
        (
            expected_purchases(fit, month * weeks, frequency, recency, age)
            - expected_purchases(fit, (month - 1) * weeks, frequency, recency, age)
        )
        * 20.0
        / (1 + monthly) ** month
        for month in range(1, 4)
    )
    value, purchases = discounted_value_of_purchases(
        fit,
        frequency,
        recency,
        age,
        margin_per_purchase=20.0,
        horizon_periods_per_month=weeks,
        horizon_months=3,
        annual_discount_rate=0.10,
    )
    np.testing.assert_allclose(value, by_hand, rtol=1e-12)
    np.testing.assert_allclose(
        purchases, expected_purchases(fit, 3 * weeks, frequency, recency, age)
    )


def test_too_few_customers_or_no_repeats_fail_clearly():
    with pytest.raises(ClvFitError, match="too few to fit"):
        fit_bgnbd([1, 0, 2, 0, 1], [3.0, 0, 5.0, 0, 1.0], [10.0] * 5)
    with pytest.raises(ClvFitError, match="none of the 50 customers has a repeat purchase"):
        fit_bgnbd(np.zeros(50), np.zeros(50), np.full(50, 10.0))
    with pytest.raises(ClvFitError, match="positive mean margin"):
        fit_gamma_gamma([1, 2], [10.0, -5.0])
