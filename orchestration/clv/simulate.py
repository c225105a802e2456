"""Customers simulated from known model parameters (tests and benchmarks).

Every simulated customer makes a first purchase at time 0 and then repeat
purchases at a Poisson rate lambda ~ Gamma(r, alpha) while alive; the models
differ in when they drop out:

  BG/NBD      after each repeat purchase, with probability p ~ Beta(a, b)
  MBG/NBD     after each purchase, the first included, with p ~ Beta(a, b)
  Pareto/NBD  at an exponential time with rate mu ~ Gamma(s, beta)

Vectorised: the number of repeat purchases before dropout is geometric (or
unlimited for Pareto/NBD, whose lifetime ends the sequence), and the
purchase times are a Poisson process cut at the end of the observation.
"""

from __future__ import annotations

import numpy as np

from orchestration.clv.validation import HoldoutObservations

MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")


def simulate_bgnbd(
    customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    min_age: float = 20.0,
    max_age: float = 80.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, age) of BG/NBD customers with ages uniform in [min_age, max_age]."""
    return _simulate_summary("bgnbd", customers, (r, alpha, a, b), min_age, max_age, seed)


def simulate_mbgnbd(
    customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    min_age: float = 20.0,
    max_age: float = 80.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, age) of MBG/NBD customers with ages uniform in [min_age, max_age]."""
    return _simulate_summary("mbgnbd", customers, (r, alpha, a, b), min_age, max_age, seed)


def simulate_pareto_nbd(
    customers: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    *,
    min_age: float = 20.0,
    max_age: float = 80.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, age) of Pareto/NBD customers with ages uniform in [min_age, max_age]."""
    return _simulate_summary("pareto_nbd", customers, (r, alpha, s, beta), min_age, max_age, seed)


def _simulate_summary(model, customers, parameters, min_age, max_age, seed):
    rng = np.random.default_rng(seed)
    age = rng.uniform(min_age, max_age, customers)
    owner, times = _repeat_purchase_times(rng, model, parameters, age)
    return (*_summarise(owner, times, customers), age)


def _repeat_purchase_times(rng, model, parameters, horizon):
    """(customer, time) of each repeat purchase before the customer's horizon, in customer time."""
    customers = len(horizon)
    r, alpha, dropout_1, dropout_2 = parameters
    rate = rng.gamma(r, 1.0 / alpha, customers)
    if model == "pareto_nbd":
        lifetime = rng.exponential(1.0 / rng.gamma(dropout_1, 1.0 / dropout_2, customers))
        alive_until = np.minimum(horizon, lifetime)
        max_purchases = np.full(customers, np.iinfo(np.int64).max)
    else:
        alive_until = horizon
        dropout = rng.beta(dropout_1, dropout_2, customers)
        # Purchases up to and including the one after which the customer drops out;
        # MBG/NBD may drop out right after the first purchase (no repeat at all).
        max_purchases = rng.geometric(np.clip(dropout, 1e-12, 1.0)) - (model == "mbgnbd")
    # Enough draws to pass the customer's horizon almost surely.
    draws = np.minimum(max_purchases, rng.poisson(rate * alive_until * 2) + 20)
    owner = np.repeat(np.arange(customers), draws)
    # A gap longer than the longest horizon ends the sequence anyway; capping it
    # keeps the running sum below in float precision.
    gaps = np.minimum(
        rng.exponential(1.0 / np.maximum(rate[owner], 1e-12)), float(horizon.max()) + 1.0
    )
    starts = np.concatenate([[0], np.cumsum(draws)[:-1]])
    times = np.cumsum(gaps)
    drawn = draws > 0
    times -= np.repeat(times[starts[drawn]] - gaps[starts[drawn]], draws[drawn])
    inside = times <= alive_until[owner]
    return owner[inside], times[inside]


def _summarise(owner, times, customers):
    """(frequency, recency) from repeat purchase times."""
    frequency = np.bincount(owner, minlength=customers).astype(float)
    recency = np.zeros(customers)
    np.maximum.at(recency, owner, times)
    return frequency, recency


def simulate_holdout(
    model: str,
    parameters,
    customers: int,
    *,
    first_purchase_weeks: float = 12.0,
    calibration_weeks: float = 39.0,
    holdout_weeks: float = 39.0,
    seed: int = 0,
) -> HoldoutObservations:
    """A calibration / holdout split of simulated customers, as SQL would summarise a real log.

    First purchases uniform over the first first_purchase_weeks of the
    calendar (as CDNOW's cohort), calibration until calibration_weeks, then
    a holdout of holdout_weeks. model is 'bgnbd', 'mbgnbd' or 'pareto_nbd'
    with parameters (r, alpha, a, b) or (r, alpha, s, beta).
    """
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {', '.join(MODELS)}.")
    rng = np.random.default_rng(seed)
    # First purchase days, as a purchase log has them (so ages take few values).
    first_purchase = np.floor(rng.uniform(0.0, first_purchase_weeks, customers) * 7) / 7
    age = calibration_weeks - first_purchase
    owner, times = _repeat_purchase_times(rng, model, parameters, age + holdout_weeks)
    in_calibration = times <= age[owner]
    frequency, recency = _summarise(owner[in_calibration], times[in_calibration], customers)
    holdout_purchases = np.bincount(owner[~in_calibration], minlength=customers).astype(float)
    # Week k covers (k, k + 1] weeks after the calibration end.
    week = np.ceil(times - age[owner]).astype(np.int64) - 1
    week_index, count = np.unique(week, return_counts=True)
    return HoldoutObservations(
        frequency=frequency,
        recency=recency,
        age=age,
        holdout_purchases=holdout_purchases,
        holdout_weeks=holdout_weeks,
        week_index=week_index,
        count_repeat_purchases=count.astype(float),
    )


def simulate_gamma_gamma(
    frequency: np.ndarray, p: float, q: float, v: float, *, seed: int = 0
) -> np.ndarray:
    """Mean spend per customer: spends ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v)."""
    rng = np.random.default_rng(seed)
    frequency = np.asarray(frequency, dtype=int)
    nu = rng.gamma(q, 1.0 / v, len(frequency))
    # The sum of x Gamma(p, nu) spends is Gamma(p x, nu).
    totals = rng.gamma(p * frequency, 1.0 / nu)
    return totals / frequency
