"""BG/NBD (Fader, Hardie & Lee 2005): future purchases, and whether a customer is still active.

Non-contractual setting: a customer buys at a Poisson rate lambda while
active and, after every repeat purchase, drops out for good with
probability p; lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) across
customers. Inputs per customer: frequency x (repeat purchases), recency t_x
(age at the last purchase) and age T, all in the same time unit (the dbt
project uses weeks). The parameters are found by maximum likelihood
(L-BFGS-B on log-parameters over the unique (x, t_x, T) rows, weighted by
how often each occurs; above optimise.SUBSAMPLE_ABOVE_CUSTOMERS customers
on a subsample first, then Newton steps on everyone, see
optimise.polish_on_everyone).

In BG/NBD a customer cannot drop out before a repeat purchase, so a
one-time buyer is alive with probability 1 however long ago they bought.
The modified BG/NBD (module mbgnbd) lets the customer drop out right after
the first purchase too; it shares this module's row machinery (flag
`modified`): its formulas are BG/NBD's with b + 1 in place of b, times the
probability b / (a + b) of surviving the first purchase.

When customers hardly differ in how likely they are to drop out, the
likelihood keeps rising as a and b grow together with a / (a + b) fixed: the
maximum is the limit a, b -> infinity, in which every customer drops out with
the same probability p after each purchase. fit_bgnbd therefore also fits
that limit model (r, alpha, p) and returns it, with a = b = infinity, when it
fits at least as well as the best finite (a, b). The predictions take their
limits too (the Beta-function ratios become powers of 1 - p and the
hypergeometric function becomes (1 - (1 - p) z)^-(r + x)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import special

from orchestration.clv.errors import ClvFitError
from orchestration.clv.hypergeometric import log_hypergeometric
from orchestration.clv.optimise import (
    SUBSAMPLE_ABOVE_CUSTOMERS,
    SUBSAMPLE_CUSTOMERS,
    check_parameters,
    minimise,
    polish_on_everyone,
    standard_errors_from_objective,
)
from orchestration.clv.summary import DistinctRows, as_summary, dot

PARAMETER_NAMES = ("r", "alpha", "a", "b")
SAME_DROPOUT_PARAMETER_NAMES = ("r", "alpha", "p")
# On many customers both dropout models are first fitted on a subsample; the
# one behind by more than this many log-likelihood units there (a likelihood
# ratio statistic of 20) is not polished on everyone.
CLEARLY_BEHIND_ON_SUBSAMPLE = 10.0


@dataclass(frozen=True)
class _BetaGeometricFit:
    r: float
    alpha: float
    a: float  # a = b = infinity: every customer has dropout probability p
    b: float
    p: float = float("nan")
    log_likelihood: float = float("nan")
    n_customers: int = 0
    n_iterations: int = 0
    converged: bool = True
    fit_seconds: float = 0.0

    model: ClassVar[str]
    label: ClassVar[str]
    modified: ClassVar[bool]
    parameter_names: ClassVar[tuple[str, ...]] = PARAMETER_NAMES

    def __post_init__(self):
        if not self.same_dropout_for_everyone:
            object.__setattr__(self, "p", self.a / (self.a + self.b))

    @classmethod
    def from_parameters(
        cls, r: float, alpha: float, a: float | None, b: float | None, p: float | None = None
    ):
        """A fit rebuilt from stored parameters (a row of clv_model_fits).

        a and b missing (None or NaN) with p given: the limit in which every
        customer drops out with probability p.
        """
        if a is None or b is None or np.isnan(a) or np.isnan(b):
            if p is None or not 0 < p < 1:
                raise ClvFitError(
                    f"{cls.label}: without a and b the dropout probability p must be in (0, 1); "
                    f"got {p}. Store a and b, or p for the same-dropout limit."
                )
            return cls(float(r), float(alpha), np.inf, np.inf, float(p))
        return cls(float(r), float(alpha), float(a), float(b))

    @property
    def same_dropout_for_everyone(self) -> bool:
        """True for the limit a, b -> infinity (one dropout probability p for all)."""
        return bool(np.isinf(self.a) and np.isinf(self.b))

    @property
    def parameters(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def probability_alive(self, frequency, recency, age) -> np.ndarray:
        """Probability that a customer with history (x, t_x, T) is still active.

        BG/NBD: 1 without a repeat purchase; MBG/NBD: below 1 for everyone.
        """
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        log_odds = (self.r + x) * np.log((self.alpha + big_t) / (self.alpha + t_x)) + np.log(
            _dropout_odds(self, x)
        )
        alive = special.expit(-log_odds)
        return alive if self.modified else np.where(x > 0, alive, 1.0)

    def expected_purchases_if_alive(self, t, frequency, age) -> np.ndarray:
        """Expected purchases in the next t periods for a customer with (x, T) who is active."""
        return expected_purchases_if_active(self, t, frequency, age)

    def expected_purchases(self, t, frequency, recency, age) -> np.ndarray:
        """Expected purchases in the next t periods for a customer with (x, t_x, T)."""
        return self.expected_purchases_if_alive(t, frequency, age) * self.probability_alive(
            frequency, recency, age
        )

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """Expected repeat purchases in the first t periods after a customer's first purchase."""
        zero = np.zeros(np.shape(t))
        return self.expected_purchases(t, zero, zero, zero)

    def standard_errors(self, frequency, recency, age, weights=None, *, step: float = 1e-4):
        """Standard errors of (r, alpha, a, b) on the data the fit was made on."""
        if self.same_dropout_for_everyone:
            raise ClvFitError(
                f"{self.label}: a and b are infinite in this fit (same dropout for everyone); "
                "they have no standard errors."
            )
        x, t_x, big_t, weight = as_summary(self.label, frequency, recency, age, weights)
        rows = _UniqueRows(x, t_x, big_t, weight)
        return standard_errors_from_objective(
            _finite_objective(rows, self.modified),
            np.log(self.parameters),
            rows.count_customers,
            step,
        )


@dataclass(frozen=True)
class BgNbdFit(_BetaGeometricFit):
    """A BG/NBD fit: r, alpha (purchase rates); a, b (dropout probability after a repeat)."""

    model: ClassVar[str] = "bgnbd"
    label: ClassVar[str] = "BG/NBD"
    modified: ClassVar[bool] = False


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


def log_likelihood_same_dropout(
    parameters: np.ndarray, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """The limit of log_likelihood_per_customer as a, b -> infinity with a / (a + b) = p.

    B(a, b + x) / B(a, b) -> (1 - p)^x and a / (b + x - 1) -> p / (1 - p).
    """
    r, alpha, p = parameters
    x, t_x, big_t = frequency, recency, age
    term_1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    term_2 = x * np.log1p(-p)
    term_3 = -(r + x) * np.log(alpha + big_t)
    has_repeat = x > 0
    safe_x = np.where(has_repeat, x, 1.0)
    term_4 = np.log(p) - np.log1p(-p) - (r + safe_x) * np.log(alpha + t_x)
    return term_1 + term_2 + np.where(has_repeat, np.logaddexp(term_3, term_4), term_3)


class _UniqueRows(DistinctRows):
    """The summary as unique (x, t_x, T) rows, weighted by how often each occurs.

    Each term of the likelihood depends on x alone, on t_x alone or on T
    alone, or on a whole row only through the odds of having dropped out at
    the last purchase. The terms of x alone or T alone are computed once per
    distinct value and summed with the number of customers per value; only
    the dropout term is computed row by row. A fit evaluates the likelihood
    dozens of times over up to a million rows, and the special functions are
    the expensive part. The sums are the same as log_likelihood_per_customer's.
    """

    def _set_rows(self, x_index, recency_index, age_index, weights):
        super()._set_rows(x_index, recency_index, age_index, weights)
        # Rows are sorted by x, so the customers with a repeat purchase come last.
        self.first_repeat = int(np.searchsorted(self.x, 0.0, side="right"))
        count_ages = len(self.age_values)
        self.weight_by_age = np.bincount(age_index, weights, minlength=count_ages)
        self.x_weight_by_age = np.bincount(age_index, weights * self.x, minlength=count_ages)

    def mean_log_likelihood(self, r, alpha, by_x, dropout_derivatives, dropout_from):
        """Mean log-likelihood and its gradient, given the terms that depend on x only.

        by_x = (term, log_odds): log of Gamma(r + x) alpha^r / Gamma(r) times
        the probability of surviving the purchases so far, and the log odds
        of having dropped out at the last purchase (log a / (b + x - 1) in
        BG/NBD). dropout_derivatives = (d term, d log_odds) for each dropout
        parameter (a and b, or p). Rows from dropout_from on have the dropout
        term (BG/NBD: customers with a repeat purchase; MBG/NBD: everyone).
        Each row's log-likelihood is term(x) + t3 + softplus(d) with
        t3 = -(r + x) log(alpha + T) and d = log_odds(x) - (r + x)
        log((alpha + t_x) / (alpha + T)). Returns the gradient over
        (r, alpha, *dropout).
        """
        term_by_x, log_odds_by_x = by_x
        log_age_values = np.log(alpha + self.age_values)
        inverse_age_values = 1 / (alpha + self.age_values)
        # t3 summed per distinct age: sum over rows of w (r + x) = r W_T + (W x)_T.
        r_x_weight_by_age = r * self.weight_by_age + self.x_weight_by_age
        value = dot(self.weight_by_x, term_by_x) - dot(r_x_weight_by_age, log_age_values)

        rows = slice(dropout_from, None)
        x_index, r_x, weights = self.x_index[rows], r + self.x[rows], self.weights[rows]
        log_age = log_age_values[self.age_index[rows]]
        log_recency = np.log(alpha + self.recency_values)[self.recency_index[rows]]
        log_ratio = log_recency - log_age
        d = log_odds_by_x[x_index] - r_x * log_ratio
        value += dot(weights, np.logaddexp(0.0, d))

        # d softplus(d) = sigmoid(d) d d.
        share = weights * special.expit(d)
        share_by_x = np.bincount(x_index, share, minlength=len(self.x_values))
        inverse_gap = (1 / (alpha + self.recency_values))[self.recency_index[rows]] - (
            inverse_age_values[self.age_index[rows]]
        )
        x_values = self.x_values
        d_r = (
            dot(
                special.digamma(r + x_values) - special.digamma(r) + np.log(alpha),
                self.weight_by_x,
            )
            - dot(self.weight_by_age, log_age_values)
            - dot(share, log_ratio)
        )
        d_alpha = (
            r / alpha * self.count_customers
            - dot(r_x_weight_by_age, inverse_age_values)
            - dot(share * r_x, inverse_gap)
        )
        d_dropout = [
            dot(d_term, self.weight_by_x) + dot(d_log_odds, share_by_x)
            for d_term, d_log_odds in dropout_derivatives
        ]
        gradient = np.array([d_r, d_alpha, *d_dropout]) / self.count_customers
        return value / self.count_customers, gradient

    def beta_dropout(self, r, alpha, a, b, modified=False):
        """Mean log-likelihood and gradient over (r, alpha, a, b).

        BG/NBD: survival B(a, b + x) / B(a, b), odds a / (b + x - 1) for x > 0.
        MBG/NBD: B(a, b + x + 1) / B(a, b) and a / (b + x) for every x.
        """
        x = self.x_values
        shift = 1.0 if modified else 0.0
        term_by_x = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + special.gammaln(a + b)
            + special.gammaln(b + x + shift)
            - special.gammaln(b)
            - special.gammaln(a + b + x + shift)
        )
        # BG/NBD: only rows with x > 0 use the odds (b + x - 1 would be b - 1 at x = 0).
        odds_x = x + shift if modified else np.where(x > 0, x, 1.0)
        log_odds = np.log(a) - np.log(b + odds_x - 1)
        digamma_sum = special.digamma(a + b) - special.digamma(a + b + x + shift)
        derivatives = [
            (digamma_sum, np.full(len(x), 1 / a)),
            (
                digamma_sum + special.digamma(b + x + shift) - special.digamma(b),
                -1 / (b + odds_x - 1),
            ),
        ]
        return self.mean_log_likelihood(
            r, alpha, (term_by_x, log_odds), derivatives, self._dropout_from(modified)
        )

    def same_dropout(self, r, alpha, p, modified=False):
        """Mean log-likelihood and gradient over (r, alpha, p): the limit a, b -> infinity."""
        x = self.x_values
        survived = x + 1 if modified else x
        term_by_x = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + survived * np.log1p(-p)
        )
        log_odds = np.full(len(x), np.log(p) - np.log1p(-p))
        derivatives = [(-survived / (1 - p), np.full(len(x), 1 / p + 1 / (1 - p)))]
        return self.mean_log_likelihood(
            r, alpha, (term_by_x, log_odds), derivatives, self._dropout_from(modified)
        )

    def _dropout_from(self, modified: bool) -> int:
        return 0 if modified else self.first_repeat


def _finite_objective(rows: _UniqueRows, modified: bool):
    """Mean negative log-likelihood and gradient over (log r, log alpha, log a, log b)."""

    def objective(log_parameters: np.ndarray):
        parameters = np.exp(log_parameters)
        value, gradient = rows.beta_dropout(*parameters, modified=modified)
        return -value, -gradient * parameters

    return objective


def _same_dropout_objective(rows: _UniqueRows, modified: bool):
    """The limit model, searched as (log r, log alpha, logit p)."""

    def objective(search: np.ndarray):
        log_r, log_alpha, logit_p = search
        r, alpha, p = np.exp(log_r), np.exp(log_alpha), special.expit(logit_p)
        value, gradient = rows.same_dropout(r, alpha, p, modified=modified)
        return -value, -gradient * np.array([r, alpha, p * (1 - p)])

    return objective


def fit_bgnbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    initial: np.ndarray | None = None,
    min_customers: int = 20,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters; raises ClvFitError when it cannot fit.

    weights: optional number of customers per row (the summary grouped by
    (x, t_x, T)); initial: optional starting (r, alpha, a, b).
    """
    return fit_beta_geometric(BgNbdFit, frequency, recency, age, weights, initial, min_customers)


def fit_beta_geometric(fit_class, frequency, recency, age, weights, initial, min_customers):
    """BG/NBD or MBG/NBD (fit_class.modified): the better of finite (a, b) and the limit."""
    started = time.perf_counter()
    label = fit_class.label
    x, t_x, big_t, weight = as_summary(
        label, frequency, recency, age, weights, min_customers=min_customers
    )
    rows = _UniqueRows(x, t_x, big_t, weight)
    n = rows.count_customers
    modified = fit_class.modified

    def finite_on(rows_):
        return _finite_objective(rows_, modified)

    def same_dropout_on(rows_):
        return _same_dropout_objective(rows_, modified)

    # The limit a, b -> infinity is part of the model (its closure): it is the
    # maximum whenever it fits at least as well as the best finite (a, b). On
    # such data the search over (a, b) climbs a ridge towards it and stops
    # somewhere along the way, or gives up (then polishing it is pointless).
    start = np.log(initial) if initial is not None else np.zeros(4)
    if n <= SUBSAMPLE_ABOVE_CUSTOMERS:
        same, finite = _search_both(rows, finite_on, same_dropout_on, start)
    else:
        same, finite = _fit_both_on_subsample_then_everyone(rows, finite_on, same_dropout_on, start)
    n_iterations = int(same.nit + finite.nit)
    if same.success and (not finite.success or same.fun <= finite.fun):
        log_r, log_alpha, logit_p = same.x
        r, alpha, p = float(np.exp(log_r)), float(np.exp(log_alpha)), float(special.expit(logit_p))
        check_parameters(label, SAME_DROPOUT_PARAMETER_NAMES, (r, alpha, p), n)
        return fit_class(
            r,
            alpha,
            np.inf,
            np.inf,
            p,
            log_likelihood=float(-same.fun * n),
            n_customers=int(n),
            n_iterations=n_iterations,
            converged=True,
            fit_seconds=time.perf_counter() - started,
        )
    if not finite.success:
        raise ClvFitError(
            f"{label} did not converge on {n:.0f} customers: {finite.message}. "
            "Check int_customers_clv_summary for extreme values."
        )
    parameters = np.exp(finite.x)
    check_parameters(label, PARAMETER_NAMES, parameters, n)
    return fit_class(
        *(float(value) for value in parameters),
        log_likelihood=float(-finite.fun * n),
        n_customers=int(n),
        n_iterations=n_iterations,
        converged=True,
        fit_seconds=time.perf_counter() - started,
    )


def _search_both(rows, finite_on, same_dropout_on, start):
    """L-BFGS-B for the limit model, then for finite (a, b) (not polished if behind the limit)."""
    same = minimise(same_dropout_on(rows), np.zeros(3), gradient=True)
    finite = minimise(
        finite_on(rows),
        start,
        gradient=True,
        polish_unless_above=same.fun if same.success else np.inf,
    )
    return same, finite


def _fit_both_on_subsample_then_everyone(rows, finite_on, same_dropout_on, start):
    """Both dropout models on a subsample; the ones still in the race polished on everyone."""
    sample = rows.subsample(SUBSAMPLE_CUSTOMERS / rows.count_customers)
    same, finite = _search_both(sample, finite_on, same_dropout_on, start)
    # Positive: the finite model fits the subsample better.
    lead = (same.fun - finite.fun) * sample.count_customers if same.success else np.inf
    if same.success and (not finite.success or lead < CLEARLY_BEHIND_ON_SUBSAMPLE):
        same = polish_on_everyone(same_dropout_on, rows, sample, same)
    else:
        same.success = False
    if finite.success and lead > -CLEARLY_BEHIND_ON_SUBSAMPLE:
        # On the ridge towards the limit the polish may give up; the limit then
        # wins, and a full search along the ridge is not worth its time.
        finite = polish_on_everyone(
            finite_on,
            rows,
            sample,
            finite,
            fall_back_unless_above=same.fun if same.success else np.inf,
        )
    else:
        finite.success = False
    return same, finite


def expected_purchases(fit: BgNbdFit, t, frequency, recency, age) -> np.ndarray:
    """Expected purchases in the next t periods for a customer with (x, t_x, T)."""
    return fit.expected_purchases(t, frequency, recency, age)


def probability_alive(fit: BgNbdFit, frequency, recency, age) -> np.ndarray:
    """Probability the customer is still active; 1 without a repeat purchase (by BG/NBD)."""
    return fit.probability_alive(frequency, recency, age)


def standard_errors(
    fit: BgNbdFit, frequency, recency, age, step: float = 1e-4, *, weights=None
) -> np.ndarray:
    """Standard errors of (r, alpha, a, b): inverse Hessian in log space, delta method back."""
    return fit.standard_errors(frequency, recency, age, weights, step=step)


def expected_purchases_if_active(fit: _BetaGeometricFit, t, frequency, age) -> np.ndarray:
    """The numerator of expected_purchases: it depends on (x, T) and t, not on t_x.

    Customers share few (x, T) pairs, so callers that predict many horizons
    (discounted_value_of_purchases) compute it once per pair. MBG/NBD: b + 1
    in place of b.
    """
    r, alpha, a, b = fit.parameters
    b = b + 1 if fit.modified else b
    x, big_t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
    t = np.asarray(t, dtype=float)
    z = t / (alpha + big_t + t)
    if fit.same_dropout_for_everyone:
        first = 1 / fit.p
        log_hyp = -(r + x) * np.log1p(-(1 - fit.p) * z)
    else:
        first = (a + b + x - 1) / (a - 1)
        log_hyp = log_hypergeometric(r + x, b + x, a + b + x - 1, z)
    return first * (1 - np.exp(log_hyp + (r + x) * np.log((alpha + big_t) / (alpha + t + big_t))))


def inverse_probability_alive(fit: _BetaGeometricFit, frequency, recency, age) -> np.ndarray:
    """1 / P(alive): the denominator of expected_purchases."""
    r, alpha = fit.r, fit.alpha
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    can_have_dropped_out = True if fit.modified else x > 0
    return 1 + can_have_dropped_out * _dropout_odds(fit, x) * ((alpha + big_t) / (alpha + t_x)) ** (
        r + x
    )


def _dropout_odds(fit: _BetaGeometricFit, x):
    """The odds of having dropped out at the last purchase.

    BG/NBD a / (b + x - 1) (x > 0), MBG/NBD a / (b + x); p / (1 - p) in the limit.
    """
    if fit.same_dropout_for_everyone:
        return np.full(np.shape(x), fit.p / (1 - fit.p))
    if fit.modified:
        return fit.a / (fit.b + x)
    return fit.a / (fit.b + np.where(x > 0, x, 1.0) - 1)
