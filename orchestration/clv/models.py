"""The three purchase models behind one interface: fit by name, predict from any fit.

Every fit (BgNbdFit, MbgNbdFit, ParetoNbdFit) has `model` (its name here),
`label`, `parameters`, `parameter_names`, `log_likelihood`, `n_customers`
and the methods probability_alive(x, t_x, T), expected_purchases(t, x, t_x,
T), expected_purchases_if_alive(t, x, T), expected_purchases_new_customer(t)
and standard_errors(x, t_x, T, weights). The functions below are those
methods as functions, for callers that prefer them.
"""

from __future__ import annotations

import numpy as np

from orchestration.clv.bgnbd import BgNbdFit, fit_bgnbd
from orchestration.clv.errors import ClvFitError
from orchestration.clv.mbgnbd import MbgNbdFit, fit_mbgnbd
from orchestration.clv.pareto_nbd import ParetoNbdFit, fit_pareto_nbd

PurchaseModelFit = BgNbdFit | MbgNbdFit | ParetoNbdFit

FITTERS = {"bgnbd": fit_bgnbd, "mbgnbd": fit_mbgnbd, "pareto_nbd": fit_pareto_nbd}
MODEL_NAMES = tuple(FITTERS)


def fit_purchase_model(
    model: str, frequency, recency, age, *, weights=None, min_customers: int = 20
) -> PurchaseModelFit:
    """Fit the purchase model named model ('bgnbd', 'mbgnbd' or 'pareto_nbd')."""
    if model not in FITTERS:
        raise ClvFitError(
            f"Unknown purchase model {model!r}; choose one of {', '.join(MODEL_NAMES)}."
        )
    return FITTERS[model](frequency, recency, age, weights=weights, min_customers=min_customers)


def expected_purchases(fit: PurchaseModelFit, t, frequency, recency, age) -> np.ndarray:
    """Expected purchases in the next t periods for a customer with (x, t_x, T)."""
    return fit.expected_purchases(t, frequency, recency, age)


def probability_alive(fit: PurchaseModelFit, frequency, recency, age) -> np.ndarray:
    """Probability that a customer with (x, t_x, T) is still active (alive)."""
    return fit.probability_alive(frequency, recency, age)


def standard_errors(
    fit: PurchaseModelFit, frequency, recency, age, *, weights=None, step: float = 1e-4
) -> np.ndarray:
    """Standard errors of fit.parameters, from the observed information on the fitted data."""
    return fit.standard_errors(frequency, recency, age, weights, step=step)
