"""The maximum-likelihood search both estimators share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

LOG_BOUNDS = (-20.0, 14.0)  # parameters are searched as logs: e^-20 .. e^14


def minimise(
    negative_log_likelihood: Callable,
    start: np.ndarray,
    *,
    gradient: bool = False,
    polish_unless_above: float = np.inf,
) -> optimize.OptimizeResult:
    """L-BFGS-B over log-parameters, polished without gradients when its line search gives up.

    With gradient=True the function returns (value, gradient); otherwise the
    gradients are finite differences, which are noisy right at the optimum.
    There L-BFGS-B can stop with ABNORMAL_TERMINATION_IN_LNSRCH although it
    has arrived. Nelder-Mead, which needs no gradients, then finishes from
    where it stopped; the search converged when that succeeds. The polish is
    skipped when L-BFGS-B stopped at a value no better than
    polish_unless_above (a caller that already has a fit at least that good).
    """
    bounds = [LOG_BOUNDS] * len(start)
    result = optimize.minimize(
        negative_log_likelihood,
        start,
        jac=gradient,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if result.success or result.fun >= polish_unless_above:
        return result
    polished = optimize.minimize(
        (lambda search: negative_log_likelihood(search)[0])
        if gradient
        else negative_log_likelihood,
        result.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"maxiter": 4000, "xatol": 1e-9, "fatol": 1e-14},
    )
    polished.nit += result.nit
    return polished if polished.success and polished.fun <= result.fun else result
