"""The maximum-likelihood search both estimators share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

LOG_BOUNDS = (-20.0, 14.0)  # parameters are searched as logs: e^-20 .. e^14


def minimise(
    negative_log_likelihood: Callable[[np.ndarray], float], start: np.ndarray
) -> optimize.OptimizeResult:
    """L-BFGS-B over log-parameters, polished without gradients when its line search gives up.

    The gradients are finite differences, which are noisy right at the
    optimum; there L-BFGS-B can stop with ABNORMAL_TERMINATION_IN_LNSRCH
    although it has arrived. Nelder-Mead, which needs no gradients, then
    finishes from where it stopped; the search converged when that succeeds.
    """
    bounds = [LOG_BOUNDS] * len(start)
    result = optimize.minimize(
        negative_log_likelihood,
        start,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if result.success:
        return result
    polished = optimize.minimize(
        negative_log_likelihood,
        result.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"maxiter": 4000, "xatol": 1e-9, "fatol": 1e-14},
    )
    polished.nit += result.nit
    return polished if polished.success and polished.fun <= result.fun else result
