"""Modified BG/NBD (Batislam, Denizel & Filiztekin 2007): one-time buyers can be lost too.

As BG/NBD (module bgnbd), except that a customer may drop out right after
the first purchase as well as after every repeat purchase, each time with
probability p ~ Beta(a, b). A customer without a repeat purchase is
therefore alive with probability below 1, lower the longer ago the first
purchase was. Formulas (with the erratum of Wagner & Hoppe 2008):

  likelihood  B(a, b + x + 1) / B(a, b) Gamma(r + x) alpha^r / Gamma(r)
                [(alpha + T)^-(r + x) + a / (b + x) (alpha + t_x)^-(r + x)]
  P(alive)    1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x))
  E[X(t) | x, t_x, T] = (a + b + x) / (a - 1)
                [1 - 2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))
                 ((alpha + T) / (alpha + T + t))^(r + x)] P(alive)

The estimation (distinct rows, exact gradients, the same-dropout limit
a, b -> infinity) is BG/NBD's, in module bgnbd.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import special

from orchestration.clv.bgnbd import _BetaGeometricFit, fit_beta_geometric


@dataclass(frozen=True)
class MbgNbdFit(_BetaGeometricFit):
    """An MBG/NBD fit: r, alpha (purchase rates); a, b (dropout probability after any purchase)."""

    model: ClassVar[str] = "mbgnbd"
    label: ClassVar[str] = "MBG/NBD"
    modified: ClassVar[bool] = True


def fit_mbgnbd(
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    initial: np.ndarray | None = None,
    min_customers: int = 20,
) -> MbgNbdFit:
    """Maximum-likelihood MBG/NBD parameters; raises ClvFitError when it cannot fit.

    weights: optional number of customers per row (the summary grouped by
    (x, t_x, T)); initial: optional starting (r, alpha, a, b).
    """
    return fit_beta_geometric(MbgNbdFit, frequency, recency, age, weights, initial, min_customers)


def log_likelihood_per_customer(parameters, frequency, recency, age) -> np.ndarray:
    """Each customer's log-likelihood under MBG/NBD with (r, alpha, a, b), as published."""
    r, alpha, a, b = parameters
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    purchases = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    still_active = (
        special.betaln(a, b + x + 1) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    )
    dropped_at_last = (
        special.betaln(a + 1, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + t_x)
    )
    return purchases + np.logaddexp(still_active, dropped_at_last)


def log_likelihood_same_dropout(parameters, frequency, recency, age) -> np.ndarray:
    """The limit of log_likelihood_per_customer as a, b -> infinity with a / (a + b) = p.

    B(a, b + x + 1) / B(a, b) -> (1 - p)^(x + 1) and B(a + 1, b + x) / B(a, b) -> p (1 - p)^x.
    """
    r, alpha, p = parameters
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
    purchases = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    still_active = (x + 1) * np.log1p(-p) - (r + x) * np.log(alpha + big_t)
    dropped_at_last = np.log(p) + x * np.log1p(-p) - (r + x) * np.log(alpha + t_x)
    return purchases + np.logaddexp(still_active, dropped_at_last)
