"""The maximum-likelihood search every estimator shares, and the plausibility check of its result.

Objectives here are mean negative log-likelihoods over log-parameters (or
other unbounded transforms), returning (value, gradient) when gradient=True.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from orchestration.clv.errors import ClvFitError

LOG_BOUNDS = (-20.0, 14.0)  # parameters are searched as logs: e^-20 .. e^14

# Above this many customers the search runs first on a random subsample of
# about SUBSAMPLE_CUSTOMERS, then polishes on everyone (see fit_in_two_stages).
SUBSAMPLE_ABOVE_CUSTOMERS = 250_000
SUBSAMPLE_CUSTOMERS = 50_000
# Newton polish: stop when the predicted gain in mean log-likelihood,
# g' H^-1 g / 2, is below this (the parameters are then within about 1e-6
# relative of the optimum, far inside the sampling error).
NEWTON_DECREMENT_TOLERANCE = 1e-15
NEWTON_MAX_STEPS = 12
# Below this predicted gain a step is taken without asking the value to fall:
# mean log-likelihoods of about 5 are exact to about 1e-15 only.
UNRESOLVED_DECREMENT = 1e-11
# A line search that gives up where the exact gradient of the mean
# log-likelihood is below this has arrived (rounding in the value stops it).
STOPPED_AT_OPTIMUM_GRADIENT = 1e-8


def minimise(
    negative_log_likelihood: Callable,
    start: np.ndarray,
    *,
    gradient: bool = False,
    polish_unless_above: float = np.inf,
    max_iterations: int = 2000,
    bounds: Sequence[tuple[float, float]] | None = None,
    polish: bool = True,
) -> optimize.OptimizeResult:
    """L-BFGS-B over log-parameters, polished without gradients when its line search gives up.

    With gradient=True the function returns (value, gradient); otherwise the
    gradients are finite differences, which are noisy right at the optimum.
    There L-BFGS-B can stop with ABNORMAL_TERMINATION_IN_LNSRCH although it
    has arrived: with an exact gradient that is below STOPPED_AT_OPTIMUM_GRADIENT
    (ignoring components that push against a bound) the search converged.
    Otherwise Nelder-Mead, which needs no gradients, finishes from where it
    stopped; the search converged when that succeeds. The polish is skipped
    when polish is False (each evaluation is expensive) or L-BFGS-B stopped at
    a value no better than polish_unless_above (a caller that already has a
    fit at least that good). bounds: per search variable, LOG_BOUNDS by default.
    """
    bounds = list(bounds) if bounds is not None else [LOG_BOUNDS] * len(start)
    result = optimize.minimize(
        negative_log_likelihood,
        start,
        jac=gradient,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9},
    )
    if not result.success and gradient:
        lower, upper = np.array(bounds).T
        free = ~(
            ((result.x <= lower) & (result.jac > 0)) | ((result.x >= upper) & (result.jac < 0))
        )
        if np.all(np.abs(result.jac[free]) < STOPPED_AT_OPTIMUM_GRADIENT):
            result.success = True
            result.message = f"{result.message}; gradient below {STOPPED_AT_OPTIMUM_GRADIENT:g}"
    if result.success or result.fun >= polish_unless_above or not polish:
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


def hessian_from_gradient(objective: Callable, at: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """The Hessian by central differences of an exact gradient (2 k gradients), made symmetric."""
    at = np.asarray(at, dtype=float)
    columns = []
    for shift in np.eye(len(at)) * step:
        columns.append((objective(at + shift)[1] - objective(at - shift)[1]) / (2 * step))
    hessian = np.array(columns)
    return (hessian + hessian.T) / 2


def newton_polish(
    objective: Callable,
    start: np.ndarray,
    hessian: np.ndarray,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> optimize.OptimizeResult:
    """Quasi-Newton steps from a Hessian estimate (one from a subsample), with backtracking.

    From a start near the optimum and a Hessian close to the true one, each
    step gains about as many digits as the Hessian is accurate (a subsample
    of 50,000 customers: one or two), so a few evaluations of the objective
    on everyone suffice where L-BFGS-B from scratch needs dozens. Each step
    also corrects the Hessian with the change in gradient (the BFGS update),
    so a rougher estimate still converges, in a few more steps.
    success is False when the Hessian is not positive definite or a step
    does not improve the objective or leaves the bounds; the caller then
    falls back to minimise.
    """
    lower, upper = np.array(bounds if bounds is not None else [LOG_BOUNDS] * len(start)).T
    result = optimize.OptimizeResult(x=np.asarray(start, dtype=float), nit=0, nfev=1)
    value, gradient = objective(result.x)
    for _ in range(NEWTON_MAX_STEPS):
        try:
            factor = np.linalg.cholesky(hessian)
        except np.linalg.LinAlgError:
            result.update(fun=value, jac=gradient, success=False, message="Hessian not positive")
            return result
        step = -np.linalg.solve(factor.T, np.linalg.solve(factor, gradient))
        decrement = float(-gradient @ step)
        if decrement / 2 < NEWTON_DECREMENT_TOLERANCE:
            result.update(fun=value, jac=gradient, success=True, message="converged")
            return result
        length = 1.0
        while True:
            trial = result.x + length * step
            if np.all((trial >= lower) & (trial <= upper)):
                trial_value, trial_gradient = objective(trial)
                result.nfev += 1
                # Near the optimum the gain is below the rounding of the value:
                # there the gradient decides (the next decrement must shrink).
                if np.isfinite(trial_value) and (
                    trial_value <= value - 1e-4 * length * decrement
                    or decrement < UNRESOLVED_DECREMENT
                ):
                    break
            length /= 4
            if length < 1e-3:
                result.update(fun=value, jac=gradient, success=False, message="no descent")
                return result
        if (
            decrement < UNRESOLVED_DECREMENT
            and np.abs(trial_gradient).max() > np.abs(gradient).max()
        ):
            result.update(fun=value, jac=gradient, success=False, message="gradient grew")
            return result
        moved, change = trial - result.x, trial_gradient - gradient
        curvature = float(moved @ change)
        if curvature > 0:
            pushed = hessian @ moved
            hessian = (
                hessian
                - np.outer(pushed, pushed) / (moved @ pushed)
                + np.outer(change, change) / curvature
            )
        result.x, value, gradient = trial, trial_value, trial_gradient
        result.nit += 1
    result.update(fun=value, jac=gradient, success=False, message="too many Newton steps")
    return result


def fit_in_two_stages(
    objective_on: Callable,
    rows,
    start: np.ndarray,
    *,
    seed: int = 0,
    bounds: Sequence[tuple[float, float]] | None = None,
    polish: bool = True,
) -> optimize.OptimizeResult:
    """minimise on all rows, or, for many customers, on a subsample and then on all.

    objective_on(rows) gives the objective on a set of rows; rows has
    count_customers and subsample(fraction, seed). Above
    SUBSAMPLE_ABOVE_CUSTOMERS customers: L-BFGS-B on about
    SUBSAMPLE_CUSTOMERS of them (every distinct row keeps each of its
    customers with the same probability, with a fixed seed: the same data
    give the same fit), then polish_on_everyone. The result is the maximum
    on everyone, not on the subsample: the subsample only provides the start
    and the curvature.
    """
    options = {"gradient": True, "bounds": bounds, "polish": polish}
    if rows.count_customers <= SUBSAMPLE_ABOVE_CUSTOMERS:
        return minimise(objective_on(rows), start, **options)
    sample = rows.subsample(SUBSAMPLE_CUSTOMERS / rows.count_customers, seed=seed)
    coarse = minimise(objective_on(sample), start, **options)
    if not coarse.success:
        return minimise(objective_on(rows), coarse.x, **options)
    return polish_on_everyone(objective_on, rows, sample, coarse, bounds=bounds, polish=polish)


def polish_on_everyone(
    objective_on: Callable,
    rows,
    sample,
    coarse: optimize.OptimizeResult,
    *,
    fall_back_unless_above: float = np.inf,
    bounds: Sequence[tuple[float, float]] | None = None,
    polish: bool = True,
) -> optimize.OptimizeResult:
    """Newton steps on all rows from a subsample's optimum, with the subsample's Hessian.

    When they fail, L-BFGS-B on all rows finishes from where they stopped,
    unless they stopped at a value no better than fall_back_unless_above (a
    caller that already has a fit at least that good; the result then has
    success False). A subsample optimum at a bound of the search is returned
    as it is, with success False.
    """
    lower, upper = np.array(bounds if bounds is not None else [LOG_BOUNDS] * len(coarse.x)).T
    if np.any((coarse.x <= lower + 1e-6) | (coarse.x >= upper - 1e-6)):
        # No interior optimum to polish: the caller reports the parameter at its bound.
        coarse.success = False
        coarse.message = "the optimum on the subsample is at a bound of the search"
        return coarse
    full = objective_on(rows)
    polished = newton_polish(
        full, coarse.x, hessian_from_gradient(objective_on(sample), coarse.x), bounds
    )
    polished.nit += coarse.nit
    if polished.success or polished.fun >= fall_back_unless_above:
        return polished
    finished = minimise(full, polished.x, gradient=True, bounds=bounds, polish=polish)
    finished.nit += polished.nit
    return finished


def standard_errors_from_objective(
    objective: Callable, log_parameters: np.ndarray, count_customers: float, step: float = 1e-4
) -> np.ndarray:
    """Standard errors of exp(log_parameters): inverse Hessian of the total, delta method.

    objective is the mean negative log-likelihood (value, gradient) over the
    log-parameters; the observed information is count_customers times its
    Hessian.
    """
    hessian = hessian_from_gradient(objective, log_parameters, step) * count_customers
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError as error:
        raise ClvFitError(
            "The information matrix is singular at this fit, so the parameters have no standard "
            "errors (some parameter is not identified by the data)."
        ) from error
    return np.exp(log_parameters) * np.sqrt(np.diag(covariance))


def check_parameters(
    model: str, names: Sequence[str], values: Sequence[float], n_customers: float, hint: str = ""
) -> None:
    """Raise ClvFitError for non-finite or absurd parameters; hint says what to do in this model."""
    for name, value in zip(names, values, strict=True):
        if not np.isfinite(value) or value <= 1e-8 or value >= 1e6:
            raise ClvFitError(
                f"{model}: parameter {name} = {value:.6g} after fitting {n_customers:.0f} "
                "customers is not plausible (expected between 1e-8 and 1e6). "
                + (
                    hint
                    or "The data may not fit the model's assumptions (e.g. a few customers with "
                    "thousands of purchases); inspect int_customers_clv_summary."
                )
            )
