"""BG/NBD (Fader, Hardie & Lee 2005): future purchases, and whether a customer is still active.

Non-contractual setting: a customer buys at a Poisson rate lambda while
active and, after every purchase, drops out for good with probability p;
lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) across customers. Inputs per
customer: frequency x (repeat purchases), recency t_x (age at the last
purchase) and age T, all in the same time unit (the dbt project uses weeks).
The parameters are found by maximum likelihood (L-BFGS-B on log-parameters
over the unique (x, t_x, T) rows, weighted by how often each occurs).

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

import numpy as np
from scipy import special

from orchestration.clv.errors import ClvFitError
from orchestration.clv.optimise import minimise

PARAMETER_NAMES = ("r", "alpha", "a", "b")
SAME_DROPOUT_PARAMETER_NAMES = ("r", "alpha", "p")


@dataclass(frozen=True)
class BgNbdFit:
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

    def __post_init__(self):
        if not self.same_dropout_for_everyone:
            object.__setattr__(self, "p", self.a / (self.a + self.b))

    @classmethod
    def from_parameters(
        cls, r: float, alpha: float, a: float | None, b: float | None, p: float | None = None
    ) -> BgNbdFit:
        """A fit rebuilt from stored parameters (a row of clv_model_fits).

        a and b missing (None or NaN) with p given: the limit in which every
        customer drops out with probability p.
        """
        if a is None or b is None or np.isnan(a) or np.isnan(b):
            if p is None or not 0 < p < 1:
                raise ClvFitError(
                    f"BG/NBD: without a and b the dropout probability p must be in (0, 1); got {p}."
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


def unique_combinations(*columns):
    """The distinct rows of equally long columns, fast (one integer key per row).

    Returns (distinct values of each column, for each column the index into
    those values of every distinct row, how often each distinct row occurs,
    the distinct row of every input row). Distinct rows come sorted by the
    first column, then the second, and so on.
    """
    values, codes = zip(
        *(np.unique(column, return_inverse=True) for column in columns), strict=True
    )
    keys = np.zeros(len(columns[0]), dtype=np.int64)
    for column_values, column_codes in zip(values, codes, strict=True):
        keys = keys * len(column_values) + column_codes.ravel()
    unique_keys, row_index, counts = np.unique(keys, return_inverse=True, return_counts=True)
    unique_codes = []
    for column_values in reversed(values):
        unique_keys, code = np.divmod(unique_keys, len(column_values))
        unique_codes.insert(0, code)
    return values, unique_codes, counts, row_index


class _UniqueRows:
    """The summary as unique (x, t_x, T) rows, weighted by how often each occurs.

    Each term of the likelihood depends on x alone, on t_x alone or on T
    alone, so it is computed once per distinct value and gathered by index:
    a fit evaluates the likelihood a few hundred times over up to a million
    rows, and the special functions are the expensive part. The sums are the
    same as log_likelihood_per_customer's, term by term.
    """

    def __init__(self, frequency, recency, age):
        (self.x_values, self.recency_values, self.age_values), codes, counts, _ = (
            unique_combinations(frequency, recency, age)
        )
        self.x_index, self.recency_index, self.age_index = codes
        self.count_customers = len(frequency)
        self.weights = counts.astype(float)
        self.x = self.x_values[self.x_index]
        self.first_repeat = int(np.searchsorted(self.x, 0.0, side="right"))
        self.weight_by_x = np.bincount(self.x_index, self.weights, minlength=len(self.x_values))

    def mean_log_likelihood(self, r, alpha, by_x, dropout_derivatives):
        """Mean log-likelihood and its gradient, given the terms that depend on x only.

        by_x = (term, log_odds): log of Gamma(r + x) alpha^r / Gamma(r) times
        the probability of surviving x purchases, and log a / (b + x - 1),
        the odds of having dropped out at the last purchase.
        dropout_derivatives = (d term, d log_odds) for each dropout parameter
        (a and b, or p). Returns the gradient over (r, alpha, *dropout).
        """
        term_by_x, log_odds_by_x = by_x
        x, x_index, weights = self.x, self.x_index, self.weights
        log_age = np.log(alpha + self.age_values)[self.age_index]
        term_3 = -(r + x) * log_age
        values = term_by_x[x_index] + term_3
        # Rows are sorted by x, so the customers with a repeat purchase come last.
        repeat = slice(self.first_repeat, None)
        log_recency = np.log(alpha + self.recency_values)[self.recency_index[repeat]]
        term_4 = log_odds_by_x[x_index[repeat]] - (r + x[repeat]) * log_recency
        both = np.logaddexp(term_3[repeat], term_4)
        values[repeat] = term_by_x[x_index[repeat]] + both
        value = float(np.dot(weights, values))

        # d log(e^t3 + e^t4) = (1 - share) d t3 + share d t4.
        share = weights[repeat] * np.exp(term_4 - both)
        share_by_x = np.bincount(x_index[repeat], share, minlength=len(self.x_values))
        inverse_age = (1 / (alpha + self.age_values))[self.age_index]
        inverse_recency = (1 / (alpha + self.recency_values))[self.recency_index[repeat]]
        x_values = self.x_values
        d_r = (
            np.dot(
                special.digamma(r + x_values) - special.digamma(r) + np.log(alpha), self.weight_by_x
            )
            - np.dot(weights, log_age)
            + np.dot(share, log_age[repeat] - log_recency)
        )
        d_alpha = (
            r / alpha * self.count_customers
            - np.dot(weights, (r + x) * inverse_age)
            + np.dot(share, (r + x[repeat]) * (inverse_age[repeat] - inverse_recency))
        )
        d_dropout = [
            np.dot(d_term, self.weight_by_x) + np.dot(d_log_odds, share_by_x)
            for d_term, d_log_odds in dropout_derivatives
        ]
        gradient = np.array([d_r, d_alpha, *d_dropout]) / self.count_customers
        return value / self.count_customers, gradient

    def beta_dropout(self, r, alpha, a, b):
        """Mean log-likelihood and gradient over (r, alpha, a, b)."""
        x = self.x_values
        term_by_x = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * np.log(alpha)
            + (
                special.gammaln(a + b)
                + special.gammaln(b + x)
                - special.gammaln(b)
                - special.gammaln(a + b + x)
            )
        )
        safe_x = np.where(x > 0, x, 1.0)
        log_odds = np.log(a) - np.log(b + safe_x - 1)
        digamma_sum = special.digamma(a + b) - special.digamma(a + b + x)
        derivatives = [
            (digamma_sum, np.full(len(x), 1 / a)),
            (digamma_sum + special.digamma(b + x) - special.digamma(b), -1 / (b + safe_x - 1)),
        ]
        return self.mean_log_likelihood(r, alpha, (term_by_x, log_odds), derivatives)

    def same_dropout(self, r, alpha, p):
        """Mean log-likelihood and gradient over (r, alpha, p)."""
        x = self.x_values
        term_by_x = (
            special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + x * np.log1p(-p)
        )
        log_odds = np.full(len(x), np.log(p) - np.log1p(-p))
        derivatives = [(-x / (1 - p), np.full(len(x), 1 / p + 1 / (1 - p)))]
        return self.mean_log_likelihood(r, alpha, (term_by_x, log_odds), derivatives)


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
    rows = _UniqueRows(frequency, recency, age)
    n = len(frequency)

    def negative_log_likelihood(log_parameters: np.ndarray):
        parameters = np.exp(log_parameters)
        value, gradient = rows.beta_dropout(*parameters)
        return -value, -gradient * parameters

    # The limit a, b -> infinity is part of the model (its closure): it is the
    # maximum whenever it fits at least as well as the best finite (a, b). On
    # such data the search over (a, b) climbs a ridge towards it and stops
    # somewhere along the way, or gives up (then polishing it is pointless).
    same_dropout = _fit_same_dropout(rows)
    start = np.log(initial) if initial is not None else np.zeros(4)
    result = minimise(
        negative_log_likelihood,
        start,
        gradient=True,
        polish_unless_above=same_dropout.fun if same_dropout.success else np.inf,
    )
    if same_dropout.success and (not result.success or same_dropout.fun <= result.fun):
        log_r, log_alpha, logit_p = same_dropout.x
        r, alpha, p = float(np.exp(log_r)), float(np.exp(log_alpha)), float(special.expit(logit_p))
        check_parameters("BG/NBD", SAME_DROPOUT_PARAMETER_NAMES, (r, alpha, p), n)
        return BgNbdFit(
            r,
            alpha,
            np.inf,
            np.inf,
            p,
            log_likelihood=float(-same_dropout.fun * n),
            n_customers=n,
            n_iterations=int(result.nit + same_dropout.nit),
            converged=True,
            fit_seconds=time.perf_counter() - started,
        )
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


def _fit_same_dropout(rows: _UniqueRows):
    """The limit model (r, alpha, p), searched as (log r, log alpha, logit p)."""

    def negative_log_likelihood(search: np.ndarray):
        log_r, log_alpha, logit_p = search
        r, alpha, p = np.exp(log_r), np.exp(log_alpha), special.expit(logit_p)
        value, gradient = rows.same_dropout(r, alpha, p)
        return -value, -gradient * np.array([r, alpha, p * (1 - p)])

    return minimise(negative_log_likelihood, np.zeros(3), gradient=True)


def standard_errors(fit: BgNbdFit, frequency, recency, age, step: float = 1e-4) -> np.ndarray:
    """Standard errors of (r, alpha, a, b): inverse Hessian in log space, delta method back."""
    if fit.same_dropout_for_everyone:
        raise ClvFitError("BG/NBD: a and b are infinite in this fit; they have no standard errors.")
    rows = _UniqueRows(*(np.asarray(v, dtype=float) for v in (frequency, recency, age)))

    def total(log_parameters):
        return -rows.beta_dropout(*np.exp(log_parameters))[0] * rows.count_customers

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
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    return expected_purchases_if_active(fit, t, x, big_t) / inverse_probability_alive(
        fit, x, t_x, big_t
    )


def expected_purchases_if_active(fit: BgNbdFit, t, frequency, age) -> np.ndarray:
    """The numerator of expected_purchases: it depends on (x, T) and t, not on t_x.

    Customers share few (x, T) pairs, so callers that predict many horizons
    (discounted_value_of_purchases) compute it once per pair.
    """
    r, alpha, a, b = fit.parameters
    x, big_t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
    t = np.asarray(t, dtype=float)
    z = t / (alpha + big_t + t)
    if fit.same_dropout_for_everyone:
        first = 1 / fit.p
        log_hyp = -(r + x) * np.log1p(-(1 - fit.p) * z)
    else:
        first = (a + b + x - 1) / (a - 1)
        log_hyp = _log_hypergeometric(r + x, b + x, a + b + x - 1, z)
    return first * (1 - np.exp(log_hyp + (r + x) * np.log((alpha + big_t) / (alpha + t + big_t))))


def inverse_probability_alive(fit: BgNbdFit, frequency, recency, age) -> np.ndarray:
    """1 / P(alive): the denominator of expected_purchases."""
    r, alpha = fit.r, fit.alpha
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    return 1 + (x > 0) * _dropout_odds(fit, x) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)


def _log_hypergeometric(hyp_a, hyp_b, hyp_c, z):
    """log 2F1(a, b; c; z), by Euler's transformation where the direct series overflows."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_hyp = np.log(special.hyp2f1(hyp_a, hyp_b, hyp_c, z))
        log_hyp_alt = np.log(special.hyp2f1(hyp_c - hyp_a, hyp_c - hyp_b, hyp_c, z)) + (
            hyp_c - hyp_a - hyp_b
        ) * np.log1p(-z)
    return np.where(np.isfinite(log_hyp), log_hyp, log_hyp_alt)


def _dropout_odds(fit: BgNbdFit, x):
    """a / (b + x - 1): the odds of dropping out at the last purchase (p / (1 - p) in the limit)."""
    if fit.same_dropout_for_everyone:
        return np.full(np.shape(x), fit.p / (1 - fit.p))
    return fit.a / (fit.b + np.where(x > 0, x, 1.0) - 1)


def probability_alive(fit: BgNbdFit, frequency, recency, age) -> np.ndarray:
    """Probability the customer is still active; 1 without a repeat purchase (by the model)."""
    r, alpha = fit.r, fit.alpha
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    log_ratio = (r + x) * np.log((alpha + big_t) / (alpha + t_x)) + np.log(_dropout_odds(fit, x))
    return np.where(x > 0, special.expit(-log_ratio), 1.0)
