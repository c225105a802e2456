"""Customers simulated from known BG/NBD and Gamma-Gamma parameters (tests and benchmarks)."""

from __future__ import annotations

import numpy as np


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
    """(frequency, recency, age) for customers observed for ages uniform in [min_age, max_age].

    As in the model: every customer makes a first purchase at time 0, then
    buys at rate lambda ~ Gamma(r, scale 1/alpha) and, after every repeat
    purchase, drops out for good with probability p ~ Beta(a, b). Vectorised:
    the number of repeat purchases before dropout is geometric; the purchase
    times are a Poisson process cut at the customer's age.
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(min_age, max_age, customers)
    rate = rng.gamma(r, 1.0 / alpha, customers)
    dropout = rng.beta(a, b, customers)
    repeats_until_dropout = rng.geometric(np.clip(dropout, 1e-12, 1.0))
    # Enough draws to pass the customer's age almost surely.
    draws = np.minimum(repeats_until_dropout, rng.poisson(rate * age * 2) + 20)
    owner = np.repeat(np.arange(customers), draws)
    # A gap longer than the oldest age ends the sequence anyway; capping it keeps
    # the running sum below keep float precision.
    gaps = np.minimum(rng.exponential(1.0 / np.maximum(rate[owner], 1e-12)), max_age + 1.0)
    starts = np.concatenate([[0], np.cumsum(draws)[:-1]])
    times = np.cumsum(gaps)
    times -= np.repeat(times[starts] - gaps[starts], draws)
    inside = times <= age[owner]
    frequency = np.bincount(owner[inside], minlength=customers).astype(float)
    recency = np.zeros(customers)
    np.maximum.at(recency, owner[inside], times[inside])
    return frequency, recency, age


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
