"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases while alive, dropout at any time.

Non-contractual setting, continuous time: a customer buys at a Poisson rate
lambda while alive and drops out at an exponentially distributed time with
rate mu (at any moment, not only after a purchase as in BG/NBD), lambda ~
Gamma(r, alpha) and mu ~ Gamma(s, beta) across customers. Inputs as BG/NBD:
frequency x, recency t_x and age T in the same time unit.

Integrating the individual likelihood over lambda and mu gives

  L = Gamma(r + x) alpha^r beta^s / Gamma(r)
      [(alpha + T)^-(r + x) (beta + T)^-s + s (F(x, t_x) - F(x, T))]

with F(x, u) = integral from u to infinity of
(alpha + tau)^-(r + x) (beta + tau)^-(s + 1) d tau (the customer alive
until tau and dropping out then). In closed form (Fader & Hardie 2005, "A
Note on Deriving the Pareto/NBD Model and Related Expressions", eq. 19-20,
with their branch on alpha >= beta so that 0 <= z < 1):

  F(x, u) = (M + u)^-(r + s + x) 2F1(r + s + x, b; r + s + x + 1; z) / (r + s + x)
  M = max(alpha, beta), z = |alpha - beta| / (M + u),
  b = s + 1 when alpha >= beta, else r + x.

F depends on (x, u) only, so it is computed once per distinct (x, t_x) and
(x, T) pair. Its gradient: dF/dalpha = -(r + x) F(x + 1, u) and
(d/dalpha + d/dbeta) F = -(alpha + u)^-(r + x) (beta + u)^-(s + 1) (moving
alpha and beta together moves the lower limit) give the alpha and beta
derivatives exactly; the r and s derivatives of the hypergeometric factor,
which have no closed form, are central differences per pair (relative step
1e-5: an error near 1e-10, far below what the search needs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import special

from orchestration.clv.errors import ClvFitError
from orchestration.clv.hypergeometric import log_hypergeometric
from orchestration.clv.optimise import (
    LOG_BOUNDS,
    check_parameters,
    fit_in_two_stages,
    standard_errors_from_objective,
)
from orchestration.clv.summary import DistinctRows, as_summary, dot, unique_combinations

PARAMETER_NAMES = ("r", "alpha", "s", "beta")
DIFFERENCE_STEP = 1e-5  # relative step of the central differences in r and s
LABEL = "Pareto/NBD"
# The shapes r and s are searched up to this. A Gamma(shape) rate varies
# across customers by 1 / sqrt(shape) (18% at 30): beyond, customers hardly
# differ, and scipy's hypergeometric function gets slow (measured: a fit on
# 20,000 customers whose s runs away took 1.4 s with this limit, 13 s with
# 100) and then fails (no finite value from about 1000).
MAX_SHAPE = 30.0
SEARCH_BOUNDS = [
    (LOG_BOUNDS[0], np.log(MAX_SHAPE)),
    LOG_BOUNDS,
    (LOG_BOUNDS[0], np.log(MAX_SHAPE)),
    LOG_BOUNDS,
]
SHAPE_AT_LIMIT = {
    "s": (
        "customers barely differ in their dropout rates, and Pareto/NBD has no finite fit "
        "for that; BG/NBD and MBG/NBD fit that case (their same-dropout limit), use one of them"
    ),
    "r": (
        "customers barely differ in their purchase rates, which none of these models "
        "describes well; inspect int_customers_clv_summary (e.g. a fixed purchase schedule)"
    ),
}
OUT_OF_RANGE_HINT = (
    "When s and beta run away together, customers barely differ in their dropout rate and "
    "Pareto/NBD has no finite fit; BG/NBD and MBG/NBD fit that case (their same-dropout "
    "limit). When r and alpha do, purchase rates barely differ. Otherwise inspect "
    "int_customers_clv_summary for extreme values."
)


@dataclass(frozen=True)
class ParetoNbdFit:
    """A Pareto/NBD fit: r, alpha (purchase rates); s, beta (dropout rates)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")
    n_customers: int = 0
    n_iterations: int = 0
    converged: bool = True
    fit_seconds: float = 0.0

    model: ClassVar[str] = "pareto_nbd"
    label: ClassVar[str] = LABEL
    parameter_names: ClassVar[tuple[str, ...]] = PARAMETER_NAMES

    @classmethod
    def from_parameters(cls, r: float, alpha: float, s: float, beta: float) -> ParetoNbdFit:
        """A fit rebuilt from stored parameters."""
        return cls(float(r), float(alpha), float(s), float(beta))

    @property
    def parameters(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.s, self.beta])

    def probability_alive(self, frequency, recency, age) -> np.ndarray:
        """Probability that a customer with history (x, t_x, T) is still alive.

        The share of the likelihood in which the customer is alive at T:
        1 / (1 + s (F(x, t_x) - F(x, T)) (alpha + T)^(r + x) (beta + T)^s).
        """
        r, alpha, s, beta = self.parameters
        x, t_x, big_t = np.broadcast_arrays(
            *(np.asarray(v, dtype=float) for v in (frequency, recency, age))
        )
        log_tail_recency = _log_tail_by_pair(self.parameters, x, t_x)
        log_tail_age = _log_tail_by_pair(self.parameters, x, big_t)
        with np.errstate(divide="ignore"):
            # log(F(x, t_x) - F(x, T)); -inf when t_x = T (alive for sure).
            log_dropped = log_tail_recency + np.log(-np.expm1(log_tail_age - log_tail_recency))
        log_alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
        return special.expit(log_alive - np.log(s) - log_dropped)

    def expected_purchases_if_alive(self, t, frequency, age) -> np.ndarray:
        """Expected purchases in the next t periods for a customer with (x, T) who is alive.

        (r + x) (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)],
        and its limit (r + x) (beta + T) / (alpha + T) log((beta + T + t) / (beta + T)) at s = 1.
        """
        r, alpha, s, beta = self.parameters
        x, big_t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
        t = np.asarray(t, dtype=float)
        log_growth = np.log1p(t / (beta + big_t))
        k = s - 1
        # (1 - e^(-k L)) / k, which tends to L as k -> 0.
        shrink = -np.expm1(-k * log_growth) / k if abs(k) > 1e-12 else log_growth
        return (r + x) * (beta + big_t) / (alpha + big_t) * shrink

    def expected_purchases(self, t, frequency, recency, age) -> np.ndarray:
        """Expected purchases in the next t periods for a customer with (x, t_x, T)."""
        return self.expected_purchases_if_alive(t, frequency, age) * self.probability_alive(
            frequency, recency, age
        )

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """Expected repeat purchases in the first t periods after a customer's first purchase."""
        zero = np.zeros(np.shape(t))
        return self.expected_purchases_if_alive(t, zero, zero)

    def standard_errors(self, frequency, recency, age, weights=None, *, step: float = 1e-4):
        """Standard errors of (r, alpha, s, beta) on the data the fit was made on."""
        x, t_x, big_t, weight = as_summary(LABEL, frequency, recency, age, weights)
        rows = _ParetoRows(x, t_x, big_t, weight)
        return standard_errors_from_objective(
            _objective(rows), np.log(self.parameters), rows.count_customers, step
        )


def _log_tail(parameters, x, u, *, gradient: bool = False):
    """log F(x, u) (module docstring); with gradient=True also d/d(r, alpha, s, beta)."""
    r, alpha, s, beta = parameters
    alpha_is_larger = alpha >= beta
    larger = max(alpha, beta)
    log_larger_u = np.log(larger + u)
    z = abs(alpha - beta) / (larger + u)

    def log_hypergeometric_factor(r_, s_, x_):
        a = r_ + s_ + x_
        return log_hypergeometric(a, s_ + 1 if alpha_is_larger else r_ + x_, a + 1, z)

    a = r + s + x
    log_tail = -a * log_larger_u - np.log(a) + log_hypergeometric_factor(r, s, x)
    if not gradient:
        return log_tail
    log_tail_next = -(a + 1) * log_larger_u - np.log(a + 1) + log_hypergeometric_factor(r, s, x + 1)
    step_r, step_s = DIFFERENCE_STEP * r, DIFFERENCE_STEP * s
    d_r = (
        -log_larger_u
        - 1 / a
        + (
            log_hypergeometric_factor(r + step_r, s, x)
            - log_hypergeometric_factor(r - step_r, s, x)
        )
        / (2 * step_r)
    )
    d_s = (
        -log_larger_u
        - 1 / a
        + (
            log_hypergeometric_factor(r, s + step_s, x)
            - log_hypergeometric_factor(r, s - step_s, x)
        )
        / (2 * step_s)
    )
    d_alpha = -(r + x) * np.exp(log_tail_next - log_tail)
    log_integrand = -(r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u)
    d_beta = -np.exp(log_integrand - log_tail) - d_alpha
    return log_tail, np.column_stack([d_r, d_alpha, d_s, d_beta])


def _log_tail_by_pair(parameters, x, u) -> np.ndarray:
    """_log_tail for every customer, computed once per distinct (x, u)."""
    (x_values, u_values), (x_codes, u_codes), _, pair_index = unique_combinations(
        np.ravel(x), np.ravel(u)
    )
    values = _log_tail(parameters, x_values[x_codes], u_values[u_codes])
    return values[pair_index].reshape(np.shape(x))


def log_likelihood_per_customer(parameters, frequency, recency, age) -> np.ndarray:
    """Each customer's log-likelihood under Pareto/NBD with (r, alpha, s, beta)."""
    r, alpha, s, beta = parameters
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    constant = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    log_tail_recency = _log_tail(parameters, x, t_x)
    with np.errstate(divide="ignore"):
        # log(F(x, t_x) - F(x, T)), in logs: F underflows for customers with many purchases.
        dropped = (
            np.log(s)
            + log_tail_recency
            + np.log(-np.expm1(_log_tail(parameters, x, big_t) - log_tail_recency))
        )
    return constant + np.logaddexp(alive, dropped)


class _ParetoRows(DistinctRows):
    """The summary as unique (x, t_x, T) rows with their distinct (x, t_x) and (x, T) pairs."""

    def _set_rows(self, x_index, recency_index, age_index, weights):
        super()._set_rows(x_index, recency_index, age_index, weights)
        pair_x, pair_u, pair_index = [], [], []
        for u_index, u_values in (
            (recency_index, self.recency_values),
            (age_index, self.age_values),
        ):
            index, keys = pd.factorize(x_index * len(u_values) + u_index)
            pair_x.append(self.x_values[keys // len(u_values)])
            pair_u.append(u_values[keys % len(u_values)])
            pair_index.append(index)
        self.pair_x, self.pair_u = np.concatenate(pair_x), np.concatenate(pair_u)
        self.count_recency_pairs = len(pair_x[0])
        self.recency_pair = pair_index[0]
        self.age_pair = pair_index[1] + self.count_recency_pairs

    def mean_log_likelihood(self, r, alpha, s, beta):
        """Mean log-likelihood and its gradient over (r, alpha, s, beta).

        Per row: log C(x) + log(e^l1 + e^l2 - e^l3) with l1 = log of
        (alpha + T)^-(r + x) (beta + T)^-s, l2 = log s F(x, t_x) and
        l3 = log s F(x, T). l3 <= l1 and l3 <= l2, so the sum never cancels
        to less than its largest term.
        """
        log_tail, d_log_tail = _log_tail(
            (r, alpha, s, beta), self.pair_x, self.pair_u, gradient=True
        )
        x_values, x = self.x_values, self.x
        log_alpha_age = np.log(alpha + self.age_values)
        log_beta_age = np.log(beta + self.age_values)
        alive = -(r + x) * log_alpha_age[self.age_index] - s * log_beta_age[self.age_index]
        log_s = np.log(s)
        dropped_by_recency = log_s + log_tail[self.recency_pair]
        dropped_by_age = log_s + log_tail[self.age_pair]
        largest = np.maximum(alive, dropped_by_recency)
        share_alive = np.exp(alive - largest)
        share_recency = np.exp(dropped_by_recency - largest)
        share_age = np.exp(dropped_by_age - largest)
        total = share_alive + share_recency - share_age
        by_x = (
            special.gammaln(r + x_values)
            - special.gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
        )
        value = dot(self.weight_by_x, by_x) + dot(self.weights, largest + np.log(total))

        weight_over_total = self.weights / total
        alive_weight = weight_over_total * share_alive
        recency_weight = weight_over_total * share_recency
        age_weight = weight_over_total * share_age
        count_ages = len(self.age_values)
        alive_by_age = np.bincount(self.age_index, alive_weight, minlength=count_ages)
        alive_x_by_age = np.bincount(self.age_index, alive_weight * x, minlength=count_ages)
        count = self.count_customers
        gradient = np.array(
            [
                dot(
                    self.weight_by_x,
                    special.digamma(r + x_values) - special.digamma(r) + np.log(alpha),
                )
                - dot(alive_by_age, log_alpha_age),
                r / alpha * count
                - dot(r * alive_by_age + alive_x_by_age, 1 / (alpha + self.age_values)),
                np.log(beta) * count
                - dot(alive_by_age, log_beta_age)
                + (recency_weight.sum() - age_weight.sum()) / s,
                s / beta * count - s * dot(alive_by_age, 1 / (beta + self.age_values)),
            ]
        )
        pair_weight = np.concatenate(
            [
                np.bincount(self.recency_pair, recency_weight, minlength=self.count_recency_pairs),
                -np.bincount(
                    self.age_pair - self.count_recency_pairs,
                    age_weight,
                    minlength=len(self.pair_x) - self.count_recency_pairs,
                ),
            ]
        )
        gradient += dot(pair_weight, d_log_tail)
        return value / count, gradient / count


def _objective(rows: _ParetoRows):
    """Mean negative log-likelihood and gradient over (log r, log alpha, log s, log beta)."""

    def objective(log_parameters: np.ndarray):
        parameters = np.exp(log_parameters)
        value, gradient = rows.mean_log_likelihood(*parameters)
        return -value, -gradient * parameters

    return objective


def fit_pareto_nbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    initial: np.ndarray | None = None,
    min_customers: int = 20,
) -> ParetoNbdFit:
    """Maximum-likelihood Pareto/NBD parameters; raises ClvFitError when it cannot fit.

    weights: optional number of customers per row (the summary grouped by
    (x, t_x, T)); initial: optional starting (r, alpha, s, beta), by default
    1 for r and s and a tenth of the longest age for alpha and beta.
    """
    started = time.perf_counter()
    x, t_x, big_t, weight = as_summary(
        LABEL, frequency, recency, age, weights, min_customers=min_customers
    )
    rows = _ParetoRows(x, t_x, big_t, weight)
    n = rows.count_customers
    scale = max(float(big_t.max()) / 10, 1e-3)
    start = np.log(initial) if initial is not None else np.log([1.0, scale, 1.0, scale])
    # Without the Nelder-Mead polish: exact gradients make it unnecessary, and
    # its thousands of evaluations would take minutes here.
    result = fit_in_two_stages(_objective, rows, start, bounds=SEARCH_BOUNDS, polish=False)
    parameters = np.exp(result.x)
    for name, value in (("r", parameters[0]), ("s", parameters[2])):
        if value > MAX_SHAPE * (1 - 1e-6):
            raise ClvFitError(
                f"{LABEL}: {name} reached {MAX_SHAPE:g}, the upper limit of its search, on "
                f"{n:.0f} customers: {SHAPE_AT_LIMIT[name]}."
            )
    if not result.success:
        check_parameters(LABEL, PARAMETER_NAMES, parameters, n, OUT_OF_RANGE_HINT)
        raise ClvFitError(
            f"{LABEL} did not converge on {n:.0f} customers: {result.message}. "
            "Check int_customers_clv_summary for extreme values."
        )
    check_parameters(LABEL, PARAMETER_NAMES, parameters, n, OUT_OF_RANGE_HINT)
    return ParetoNbdFit(
        *(float(value) for value in parameters),
        log_likelihood=float(-result.fun * n),
        n_customers=int(n),
        n_iterations=int(result.nit),
        converged=True,
        fit_seconds=time.perf_counter() - started,
    )
