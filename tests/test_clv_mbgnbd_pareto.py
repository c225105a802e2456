"""MBG/NBD and Pareto/NBD (orchestration.clv) against lifetimes 0.11.3 and against simulations.

lifetimes' ModifiedBetaGeoFitter and ParetoNBDFitter are independent
implementations of the same published formulas; their CDNOW fits are the
reference for the parameters, the predictions and (MBG/NBD) the standard
errors. Where lifetimes has no figure (Pareto/NBD standard errors), its own
likelihood function is differentiated numerically instead.
"""

from __future__ import annotations

import warnings

import lifetimes
import numpy as np
import pytest
from lifetimes.datasets import load_cdnow_summary
from scipy import integrate

from orchestration.clv import (
    BgNbdFit,
    ClvFitError,
    MbgNbdFit,
    ParetoNbdFit,
    fit_mbgnbd,
    fit_pareto_nbd,
    probability_alive,
    standard_errors,
)
from orchestration.clv import mbgnbd as mbgnbd_module
from orchestration.clv import pareto_nbd as pareto_module
from orchestration.clv.bgnbd import _UniqueRows
from orchestration.clv.simulate import simulate_mbgnbd, simulate_pareto_nbd
from tests.clv_checks import assert_gradient_matches_differences, assert_predictions_match


@pytest.fixture(scope="module")
def cdnow():
    frame = load_cdnow_summary()
    return (
        frame["frequency"].to_numpy(dtype=float),
        frame["recency"].to_numpy(dtype=float),
        frame["T"].to_numpy(dtype=float),
    )


@pytest.fixture(scope="module")
def mbgnbd_fits(cdnow):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = lifetimes.ModifiedBetaGeoFitter(penalizer_coef=0.0).fit(*cdnow)
    return fit_mbgnbd(*cdnow), reference


@pytest.fixture(scope="module")
def pareto_fits(cdnow):
    # lifetimes' default is Nelder-Mead to tol 1e-4 from a random start: its
    # parameters move by 1e-4 relative from one start to the next. A tight
    # tolerance (and a fixed start) makes it the sharp reference the 1e-3
    # comparison needs; the optimum is the same.
    reference = lifetimes.ParetoNBDFitter(penalizer_coef=0.0).fit(
        *cdnow, tol=1e-12, maxiter=20_000, initial_params=np.ones(4)
    )
    return fit_pareto_nbd(*cdnow), reference


def test_mbgnbd_parameters_and_standard_errors_match_the_reference_on_cdnow(cdnow, mbgnbd_fits):
    ours, reference = mbgnbd_fits
    names = ["r", "alpha", "a", "b"]
    np.testing.assert_allclose(ours.parameters, reference.params_[names].to_numpy(), rtol=1e-3)
    np.testing.assert_allclose(
        standard_errors(ours, *cdnow), reference.summary["se(coef)"][names].to_numpy(), rtol=1e-2
    )


def test_mbgnbd_predictions_match_the_reference_on_cdnow(cdnow, mbgnbd_fits):
    assert_predictions_match(*mbgnbd_fits, *cdnow)


def test_mbgnbd_one_time_buyers_can_be_lost():
    # Without a repeat purchase, P(alive) = 1 / (1 + a / b ((alpha + T) / alpha)^r):
    # a = 1, b = 3, r = 0.5, alpha = 4 and T = 0, 12, 60 weeks give
    # 1 / (1 + 1/3), 1 / (1 + 1/3 * 2), 1 / (1 + 1/3 * 4).
    fit = MbgNbdFit.from_parameters(r=0.5, alpha=4.0, a=1.0, b=3.0)
    alive = probability_alive(fit, [0, 0, 0], [0, 0, 0], [0.0, 12.0, 60.0])
    np.testing.assert_allclose(alive, [3 / 4, 3 / 5, 3 / 7], rtol=1e-12)
    # BG/NBD with the same parameters cannot say that: 1 for every one-time buyer.
    bgnbd = BgNbdFit.from_parameters(r=0.5, alpha=4.0, a=1.0, b=3.0)
    np.testing.assert_array_equal(probability_alive(bgnbd, [0, 0], [0, 0], [12.0, 60.0]), 1.0)


def test_mbgnbd_likelihood_over_unique_rows_and_its_gradient_match_per_customer_formulas():
    frequency, recency, age = simulate_mbgnbd(3_000, 0.5, 6.0, 0.9, 1.6, seed=4)
    recency, age = np.floor(recency * 7) / 7, np.floor(age * 7) / 7
    rows = _UniqueRows(frequency, recency, age)
    cases = [
        (False, mbgnbd_module.log_likelihood_per_customer, [0.5, 6.0, 0.9, 1.6]),
        (False, mbgnbd_module.log_likelihood_per_customer, [1.3, 0.7, 12.0, 40.0]),
        (True, mbgnbd_module.log_likelihood_same_dropout, [0.5, 6.0, 0.3]),
    ]
    for same_dropout, per_customer, parameters in cases:
        if same_dropout:
            value, gradient = rows.same_dropout(*parameters, modified=True)
        else:
            value, gradient = rows.beta_dropout(*parameters, modified=True)

        def mean(values, per_customer=per_customer):
            return per_customer(np.asarray(values), frequency, recency, age).mean()

        np.testing.assert_allclose(value, mean(parameters), rtol=1e-12)
        assert_gradient_matches_differences(gradient, mean, parameters)
    # The per-customer formula itself against lifetimes' (an independent transcription).
    parameters = np.array([0.5, 6.0, 0.9, 1.6])
    reference = lifetimes.ModifiedBetaGeoFitter._negative_log_likelihood(
        np.log(parameters), frequency, recency, age, np.ones(len(age)), 0.0
    )
    np.testing.assert_allclose(
        -mbgnbd_module.log_likelihood_per_customer(parameters, frequency, recency, age).mean(),
        reference,
        rtol=1e-12,
    )


def test_pareto_nbd_parameters_and_predictions_match_the_reference_on_cdnow(cdnow, pareto_fits):
    ours, reference = pareto_fits
    np.testing.assert_allclose(
        ours.parameters, reference.params_[["r", "alpha", "s", "beta"]].to_numpy(), rtol=1e-3
    )
    assert_predictions_match(ours, reference, *cdnow)


def test_pareto_nbd_standard_errors_match_the_curvature_of_the_reference_likelihood(
    cdnow, pareto_fits
):
    # lifetimes gives no Pareto/NBD standard errors: differentiate its total
    # log-likelihood twice numerically (function values only, log space) at our
    # fit, invert, and map back with the delta method.
    ours, _ = pareto_fits
    center = np.log(ours.parameters)

    def total(log_parameters):
        return lifetimes.ParetoNBDFitter._conditional_log_likelihood(
            np.exp(log_parameters), *cdnow
        ).sum()

    step, eye = 1e-3, np.eye(4)
    hessian = np.array(
        [
            [
                (
                    total(center + step * (eye[i] + eye[j]))
                    - total(center + step * (eye[i] - eye[j]))
                    - total(center - step * (eye[i] - eye[j]))
                    + total(center - step * (eye[i] + eye[j]))
                )
                / (4 * step * step)
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    expected = ours.parameters * np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(standard_errors(ours, *cdnow), expected, rtol=1e-2)


@pytest.mark.parametrize(
    "parameters",
    [(0.55, 10.6, 0.6, 11.7), (0.55, 1.0, 0.6, 30.0), (2.0, 30.0, 0.3, 1.0), (0.8, 5.0, 1.0, 5.0)],
    ids=["alpha<beta close", "alpha<<beta", "alpha>>beta", "alpha=beta, s=1"],
)
def test_pareto_nbd_likelihood_matches_the_reference_and_the_integral(parameters):
    frequency, recency, age = simulate_pareto_nbd(2_000, *parameters, seed=3)
    ours = pareto_module.log_likelihood_per_customer(parameters, frequency, recency, age)
    reference = lifetimes.ParetoNBDFitter._conditional_log_likelihood(
        parameters, frequency, recency, age
    )
    np.testing.assert_allclose(ours, reference, rtol=1e-10)
    # F(x, u), the integral the hypergeometric function stands for, by quadrature.
    r, alpha, s, beta = parameters
    for x, u in [(0, 0.0), (3, 5.0), (40, 0.5), (150, 20.0)]:
        integral, _ = integrate.quad(
            lambda tau, x=x: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
            u,
            np.inf,
            epsabs=0,
            epsrel=1e-12,
            limit=500,
        )
        np.testing.assert_allclose(
            pareto_module._log_tail(parameters, x, u), np.log(integral), rtol=1e-10
        )


@pytest.mark.parametrize(
    "parameters", [(0.55, 10.6, 0.6, 11.7), (0.55, 1.0, 0.6, 30.0), (2.0, 30.0, 0.3, 1.0)]
)
def test_pareto_nbd_likelihood_over_unique_rows_and_its_gradient(parameters):
    frequency, recency, age = simulate_pareto_nbd(3_000, *parameters, seed=5)
    recency, age = np.floor(recency * 7) / 7, np.floor(age * 7) / 7
    rows = pareto_module._ParetoRows(frequency, recency, age)
    assert len(rows.weights) < len(frequency)
    value, gradient = rows.mean_log_likelihood(*parameters)

    def mean(values):
        # The per-customer formula (checked against lifetimes and quadrature above);
        # lifetimes' own gives NaN for some customers when alpha << beta.
        return pareto_module.log_likelihood_per_customer(values, frequency, recency, age).mean()

    np.testing.assert_allclose(value, mean(parameters), rtol=1e-11)
    assert_gradient_matches_differences(gradient, mean, parameters, relative_step=1e-5, rtol=1e-6)


def test_pareto_nbd_expected_purchases_are_continuous_at_s_equal_1():
    # (1 - ((beta + T) / (beta + T + t))^(s - 1)) / (s - 1) tends to
    # log((beta + T + t) / (beta + T)) as s -> 1.
    at_one = ParetoNbdFit.from_parameters(0.5, 8.0, 1.0, 10.0)
    below = ParetoNbdFit.from_parameters(0.5, 8.0, 1.0 - 1e-7, 10.0)
    above = ParetoNbdFit.from_parameters(0.5, 8.0, 1.0 + 1e-7, 10.0)
    args = (26.0, [0, 2, 7], [0.0, 10.0, 30.0], [30.0, 30.0, 30.0])
    value = at_one.expected_purchases(*args)
    np.testing.assert_allclose(value, below.expected_purchases(*args), rtol=1e-6)
    np.testing.assert_allclose(value, above.expected_purchases(*args), rtol=1e-6)
    # By hand for the new customer: r / alpha * beta * log((beta + t) / beta).
    np.testing.assert_allclose(
        at_one.expected_purchases_new_customer(26.0), 0.5 / 8.0 * 10.0 * np.log(36.0 / 10.0)
    )


@pytest.mark.parametrize(
    "simulate, fit, truth, seed",
    [
        (simulate_mbgnbd, fit_mbgnbd, (0.5, 6.0, 0.9, 1.6), 21),
        (simulate_mbgnbd, fit_mbgnbd, (0.5, 6.0, 0.9, 1.6), 22),
        (simulate_pareto_nbd, fit_pareto_nbd, (0.55, 10.6, 0.6, 11.7), 31),
        (simulate_pareto_nbd, fit_pareto_nbd, (0.55, 10.6, 0.6, 11.7), 32),
    ],
    ids=["mbgnbd-21", "mbgnbd-22", "pareto_nbd-31", "pareto_nbd-32"],
)
def test_simulated_parameters_are_recovered_within_three_standard_errors(
    simulate, fit, truth, seed
):
    frequency, recency, age = simulate(20_000, *truth, seed=seed)
    fitted = fit(frequency, recency, age)
    errors = standard_errors(fitted, frequency, recency, age)
    assert np.all(np.abs(fitted.parameters - np.array(truth)) <= 3 * errors), (
        fitted.parameters,
        errors,
    )


def test_pareto_nbd_without_dropout_heterogeneity_fails_with_a_way_out():
    # Every customer has the same dropout rate 1/50 (s and beta huge): the
    # likelihood rises as s, beta -> infinity and Pareto/NBD has no finite fit.
    frequency, recency, age = simulate_pareto_nbd(5_000, 0.5, 6.0, 1e9, 5e10, seed=2)
    with pytest.raises(ClvFitError, match="s reached 30.*BG/NBD and MBG/NBD fit that case"):
        fit_pareto_nbd(frequency, recency, age)
