"""Gamma-Gamma (Fader, Hardie & Lee 2005, Colombo & Jiang 1999): the expected margin per purchase.

A customer's margins per purchase are Gamma(p, nu) with nu ~ Gamma(q, v)
across customers, independent of how often they buy. Fitted on customers
with at least one repeat purchase and a positive mean repeat margin.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from orchestration.clv.bgnbd import check_parameters
from orchestration.clv.errors import ClvFitError
from orchestration.clv.optimise import minimise


@dataclass(frozen=True)
class GammaGammaFit:
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
        """The mean margin per purchase across customers, p v / (q - 1)."""
        return self.p * self.v / (self.q - 1)


def log_likelihood_per_customer(parameters, frequency, monetary_value) -> np.ndarray:
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


def fit_gamma_gamma(frequency, monetary_value, *, min_customers: int = 20) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters; raises ClvFitError when it cannot fit."""
    started = time.perf_counter()
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    if np.any(x <= 0) or np.any(m <= 0):
        raise ClvFitError(
            "Gamma-Gamma needs frequency > 0 and a positive mean margin for every customer "
            "it fits; leave the others out (they get a documented fallback)."
        )
    if len(x) < min_customers:
        raise ClvFitError(
            f"Gamma-Gamma: {len(x)} repeat customers is too few to fit (need {min_customers})."
        )
    n = len(x)
    x_values, x_index = np.unique(x, return_inverse=True)
    log_m, total, x_log_x = np.log(m), x * m, x_values * np.log(x_values)

    def negative_log_likelihood(log_parameters):
        # log_likelihood_per_customer, with the terms that depend on x alone
        # computed once per distinct x (the special functions are the slow part).
        p, q, v = np.exp(log_parameters)
        term_by_x = (
            special.gammaln(p * x_values + q)
            - special.gammaln(p * x_values)
            - special.gammaln(q)
            + q * np.log(v)
            + p * x_log_x
        )
        p_x = p * x
        values = term_by_x[x_index] + (p_x - 1) * log_m - (p_x + q) * np.log(total + v)
        return -np.mean(values)

    # Start near the method of moments: mean margin ~ p v / (q - 1).
    start = np.log([1.0, 2.0, float(np.mean(m))])
    result = minimise(negative_log_likelihood, start)
    if not result.success:
        raise ClvFitError(f"Gamma-Gamma did not converge on {n} customers: {result.message}.")
    p, q, v = np.exp(result.x)
    check_parameters("Gamma-Gamma", ("p", "q", "v"), (p, q, v), n)
    if q <= 1:
        raise ClvFitError(
            f"Gamma-Gamma: q = {q:.4g} <= 1 on {n} customers, so the mean margin does not "
            "exist; margins are too heavy-tailed for the model."
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
    """Expected margin per future purchase: the customer's own mean shrunk to the population's."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    weight = fit.p * x / (fit.p * x + fit.q - 1)
    return (1 - weight) * fit.population_mean + weight * m
