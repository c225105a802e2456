"""BG/NBD (Fader, Hardie & Lee 2005): future purchases, and whether a customer is still active.

Non-contractual setting: a customer buys at a Poisson rate lambda while
active and, after every purchase, drops out for good with probability p;
lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) across customers. Inputs per
customer: frequency x (repeat purchases), recency t_x (age at the last
purchase) and age T, all in the same time unit (the dbt project uses weeks).
The parameters are found by maximum likelihood (L-BFGS-B on log-parameters
over the unique (x, t_x, T) rows, weighted by how often each occurs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from orchestration.clv.errors import ClvFitError
from orchestration.clv.optimise import minimise

PARAMETER_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    n_iterations: int = 0
    converged: bool = True
    fit_seconds: float = 0.0

    @classmethod
    def from_parameters(cls, r: float, alpha: float, a: float, b: float) -> BgNbdFit:
        """A fit rebuilt from stored parameters (e.g. a row of clv_model_fits)."""
        return cls(float(r), float(alpha), float(a), float(b))

    @property
    def parameters(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])


def log_likelihood_per_customer(
    parameters: np.ndarray, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD with parameters (r, alpha, a, b)."""
    r, alpha, a, b = parameters
    x, t_x, big_t = frequency, recency, age
    term_1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    term_2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    term_3 = -(r + x) * np.log(alpha + big_t)
    has_repeat = x > 0
    # Only defined for x > 0 (log(b + x - 1) would be log of b - 1 otherwise).
    safe_x = np.where(has_repeat, x, 1.0)
    term_4 = np.log(a) - np.log(b + safe_x - 1) - (r + safe_x) * np.log(alpha + t_x)
    return term_1 + term_2 + np.where(has_repeat, np.logaddexp(term_3, term_4), term_3)


def _compressed(frequency, recency, age):
    rows = np.column_stack([frequency, recency, age]).astype(float)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    return unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(float)


def _validate(frequency, recency, age, min_customers: int) -> None:
    if not (len(frequency) == len(recency) == len(age)):
        raise ClvFitError("BG/NBD: frequency, recency and age must have the same length.")
    if len(frequency) < min_customers:
        raise ClvFitError(
            f"BG/NBD: {len(frequency)} customers is too few to fit (need {min_customers}); "
            "use the simple estimate for this data (see var clv_min_customers_to_fit)."
        )
    if not np.any(frequency > 0):
        raise ClvFitError(
            f"BG/NBD: none of the {len(frequency)} customers has a repeat purchase, so "
            "purchase rates cannot be estimated; use the simple estimate."
        )
    if np.any(recency > age + 1e-9) or np.any(frequency < 0) or np.any(recency < 0):
        raise ClvFitError(
            "BG/NBD: every customer needs 0 <= recency <= age and frequency >= 0; "
            "check the summary (int_customers_clv_summary)."
        )


def check_parameters(model: str, names, values, n_customers: int) -> None:
    """Raise ClvFitError for non-finite or absurd parameters."""
    for name, value in zip(names, values, strict=True):
        if not np.isfinite(value) or value <= 1e-8 or value >= 1e6:
            raise ClvFitError(
                f"{model}: parameter {name} = {value:.6g} after fitting {n_customers} customers "
                "is not plausible (expected between 1e-8 and 1e6). The data may not fit the "
                "model's assumptions (e.g. a few customers with thousands of purchases); "
                "inspect int_customers_clv_summary."
            )


def fit_bgnbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    initial: np.ndarray | None = None,
    min_customers: int = 20,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters; raises ClvFitError when it cannot fit."""
    started = time.perf_counter()
    frequency, recency, age = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    _validate(frequency, recency, age, min_customers)
    x, t_x, big_t, weights = _compressed(frequency, recency, age)
    n = len(frequency)

    def negative_log_likelihood(log_parameters: np.ndarray) -> float:
        values = log_likelihood_per_customer(np.exp(log_parameters), x, t_x, big_t)
        return -np.dot(weights, values) / n

    start = np.log(initial) if initial is not None else np.zeros(4)
    result = minimise(negative_log_likelihood, start)
    if not result.success:
        raise ClvFitError(
            f"BG/NBD did not converge on {n} customers: {result.message}. "
            "Check int_customers_clv_summary for extreme values."
        )
    parameters = np.exp(result.x)
    check_parameters("BG/NBD", PARAMETER_NAMES, parameters, n)
    return BgNbdFit(
        *(float(value) for value in parameters),
        log_likelihood=float(-result.fun * n),
        n_customers=n,
        n_iterations=int(result.nit),
        converged=True,
        fit_seconds=time.perf_counter() - started,
    )


def standard_errors(fit: BgNbdFit, frequency, recency, age, step: float = 1e-4) -> np.ndarray:
    """Standard errors of (r, alpha, a, b): inverse Hessian in log space, delta method back."""
    x, t_x, big_t, weights = _compressed(
        *(np.asarray(v, dtype=float) for v in (frequency, recency, age))
    )

    def total(log_parameters):
        return -np.dot(weights, log_likelihood_per_customer(np.exp(log_parameters), x, t_x, big_t))

    center = np.log(fit.parameters)
    hessian = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            e_i, e_j = np.eye(4)[i] * step, np.eye(4)[j] * step
            hessian[i, j] = (
                total(center + e_i + e_j)
                - total(center + e_i - e_j)
                - total(center - e_i + e_j)
                + total(center - e_i - e_j)
            ) / (4 * step * step)
    log_se = np.sqrt(np.diag(np.linalg.inv(hessian)))
    return fit.parameters * log_se


def expected_purchases(fit: BgNbdFit, t, frequency, recency, age) -> np.ndarray:
    """Expected purchases in the next t periods for a customer with (x, t_x, T)."""
    r, alpha, a, b = fit.parameters
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    t = np.asarray(t, dtype=float)
    hyp_a, hyp_b, hyp_c = r + x, b + x, a + b + x - 1
    z = t / (alpha + big_t + t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_hyp = np.log(special.hyp2f1(hyp_a, hyp_b, hyp_c, z))
        # Euler's transformation where the direct series overflows.
        log_hyp_alt = np.log(special.hyp2f1(hyp_c - hyp_a, hyp_c - hyp_b, hyp_c, z)) + (
            hyp_c - hyp_a - hyp_b
        ) * np.log1p(-z)
    log_hyp = np.where(np.isfinite(log_hyp), log_hyp, log_hyp_alt)
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.exp(log_hyp + (r + x) * np.log((alpha + big_t) / (alpha + t + big_t)))
    safe_x = np.where(x > 0, x, 1.0)
    denominator = 1 + (x > 0) * (a / (b + safe_x - 1)) * ((alpha + big_t) / (alpha + t_x)) ** (
        r + x
    )
    return first * second / denominator


def probability_alive(fit: BgNbdFit, frequency, recency, age) -> np.ndarray:
    """Probability the customer is still active; 1 without a repeat purchase (by the model)."""
    r, alpha, a, b = fit.parameters
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    safe_x = np.where(x > 0, x, 1.0)
    log_ratio = (r + x) * np.log((alpha + big_t) / (alpha + t_x)) + np.log(a / (b + safe_x - 1))
    return np.where(x > 0, special.expit(-log_ratio), 1.0)
