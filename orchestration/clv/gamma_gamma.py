"""Gamma-Gamma (Fader, Hardie & Lee 2005; Colombo & Jiang 1999): the expected spend per purchase.

A customer's spends per purchase are Gamma(p, nu) with nu ~ Gamma(q, v)
across customers, independent of how often they buy. As in the literature
and every peer library, it is fitted on spend per transaction: for each
customer with at least one repeat purchase, the number x and the mean value
m of the repeat purchases. Margins and costs to serve belong after the
prediction (margin = spend x margin rate - cost per purchase): a margin can
be zero or negative, which the model cannot describe, and parameters fitted
on it cannot be compared with any published fit. On the CDNOW summary the
fit is Fader & Hardie's published p = 6.25, q = 3.74, v = 15.44 ("The
Gamma-Gamma Model of Monetary Value", 2013).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from orchestration.clv.errors import ClvFitError
from orchestration.clv.optimise import check_parameters, fit_in_two_stages
from orchestration.clv.summary import dot


@dataclass(frozen=True)
class GammaGammaFit:
    """A Gamma-Gamma fit: p (shape of a customer's spends); q, v (their scale across customers)."""

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    n_iterations: int = 0
    converged: bool = True
    fit_seconds: float = 0.0

    @classmethod
    def from_parameters(cls, p: float, q: float, v: float) -> GammaGammaFit:
        return cls(float(p), float(q), float(v))

    @property
    def population_mean(self) -> float:
        """The mean spend per purchase across customers, p v / (q - 1)."""
        return self.p * self.v / (self.q - 1)


def log_likelihood_per_customer(parameters, frequency, monetary_value) -> np.ndarray:
    """Each customer's log-likelihood of (x, m) under Gamma-Gamma with (p, q, v)."""
    p, q, v = parameters
    x, m = frequency, monetary_value
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


class _SpendRows:
    """The Gamma-Gamma log-likelihood: terms of x alone per distinct x, one log per customer."""

    def __init__(self, frequency: np.ndarray, monetary_value: np.ndarray):
        self.x, self.monetary_value = frequency, monetary_value
        self.total = frequency * monetary_value
        self.count = self.count_customers = len(frequency)
        self.x_values, x_index = np.unique(frequency, return_inverse=True)
        self.weight_by_x = np.bincount(x_index, minlength=len(self.x_values)).astype(float)
        log_m = np.log(monetary_value)
        self.sum_x_log_m, self.sum_log_m = float(dot(frequency, log_m)), float(log_m.sum())

    def subsample(self, fraction: float, seed: int = 0) -> _SpendRows:
        """Each customer kept with probability fraction."""
        keep = np.random.default_rng(seed).random(self.count) < fraction
        return _SpendRows(self.x[keep], self.monetary_value[keep])

    def mean_log_likelihood(self, p, q, v):
        """Mean log-likelihood and its gradient over (p, q, v)."""
        x_values, weight, n = self.x_values, self.weight_by_x, self.count
        p_x = p * x_values
        log_spend = np.log(self.total + v)
        inverse_spend = 1 / (self.total + v)
        sum_x_log_spend, sum_log_spend = dot(self.x, log_spend), log_spend.sum()
        value = (
            dot(weight, special.gammaln(p_x + q) - special.gammaln(p_x) + p_x * np.log(x_values))
            - n * special.gammaln(q)
            + n * q * np.log(v)
            + p * self.sum_x_log_m
            - self.sum_log_m
            - p * sum_x_log_spend
            - q * sum_log_spend
        )
        digamma_sum = special.digamma(p_x + q)
        gradient = np.array(
            [
                dot(weight, x_values * (digamma_sum - special.digamma(p_x) + np.log(x_values)))
                + self.sum_x_log_m
                - sum_x_log_spend,
                dot(weight, digamma_sum) - n * special.digamma(q) + n * np.log(v) - sum_log_spend,
                n * q / v - p * dot(self.x, inverse_spend) - q * inverse_spend.sum(),
            ]
        )
        return value / n, gradient / n


def fit_gamma_gamma(frequency, monetary_value, *, min_customers: int = 20) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters; raises ClvFitError when it cannot fit.

    frequency: repeat purchases x > 0; monetary_value: the mean spend of
    those repeat purchases (> 0), one row per customer.
    """
    started = time.perf_counter()
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if len(x) != len(m):
        raise ClvFitError(
            f"Gamma-Gamma: frequency and monetary_value must have the same length; got "
            f"{len(x)} and {len(m)}."
        )
    bad = ~(np.isfinite(x) & np.isfinite(m) & (x > 0) & (m > 0))
    if bad.any():
        raise ClvFitError(
            f"Gamma-Gamma needs frequency > 0 and a positive mean spend per repeat purchase for "
            f"every customer it fits; {int(bad.sum())} rows do not have them (first at row "
            f"{int(np.argmax(bad))}). Leave the others out (they get a documented fallback)."
        )
    if len(x) < min_customers:
        raise ClvFitError(
            f"Gamma-Gamma: {len(x)} repeat customers is too few to fit (need {min_customers})."
        )
    n = len(x)
    rows = _SpendRows(x, m)

    def negative_log_likelihood_on(rows_: _SpendRows):
        def objective(log_parameters):
            parameters = np.exp(log_parameters)
            value, gradient = rows_.mean_log_likelihood(*parameters)
            return -value, -gradient * parameters

        return objective

    # Start near the method of moments: mean spend ~ p v / (q - 1).
    start = np.log([1.0, 2.0, float(np.mean(m))])
    result = fit_in_two_stages(negative_log_likelihood_on, rows, start)
    if not result.success:
        raise ClvFitError(f"Gamma-Gamma did not converge on {n} customers: {result.message}.")
    p, q, v = np.exp(result.x)
    check_parameters("Gamma-Gamma", ("p", "q", "v"), (p, q, v), n)
    if q <= 1:
        raise ClvFitError(
            f"Gamma-Gamma: q = {q:.4g} <= 1 on {n} customers, so the mean spend does not "
            "exist; spends are too heavy-tailed for the model. Check for outliers (e.g. "
            "bulk orders) in the repeat purchases."
        )
    return GammaGammaFit(
        float(p),
        float(q),
        float(v),
        log_likelihood=float(-result.fun * n),
        n_customers=n,
        n_iterations=int(result.nit),
        converged=True,
        fit_seconds=time.perf_counter() - started,
    )


def expected_average_value(fit: GammaGammaFit, frequency, monetary_value) -> np.ndarray:
    """Expected spend per future purchase: the customer's own mean shrunk to the population's."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    weight = fit.p * x / (fit.p * x + fit.q - 1)
    return (1 - weight) * fit.population_mean + weight * m
