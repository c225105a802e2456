"""Predicted value over a horizon, discounted month by month: a net present value."""

from __future__ import annotations

import numpy as np

from orchestration.clv.bgnbd import (
    BgNbdFit,
    expected_purchases_if_active,
    inverse_probability_alive,
    unique_combinations,
)


def discounted_value_of_purchases(
    fit: BgNbdFit,
    frequency,
    recency,
    age,
    *,
    margin_per_purchase,
    horizon_periods_per_month: float,
    horizon_months: int,
    annual_discount_rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(discounted value, expected purchases) over the horizon.

    value = sum over months m = 1..H of
            (E[X(m w)] - E[X((m - 1) w)]) x margin / (1 + monthly rate)^m
    where E[X(t)] is BG/NBD's expected purchases in the next t periods, w the
    periods per month, and monthly rate = (1 + annual rate)^(1/12) - 1.
    """
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    x, t_x, big_t = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, recency, age))
    # E[X(t)] = numerator(x, T, t) / denominator(x, t_x, T), and the denominator
    # does not depend on t: the discounted monthly increments are summed per
    # distinct (x, T) pair (few, and the hypergeometric function is the slow
    # part), then divided by each customer's denominator.
    (x_values, age_values), (x_codes, age_codes), _, pair_index = unique_combinations(x, big_t)
    pair_x, pair_age = x_values[x_codes], age_values[age_codes]
    previous = np.zeros(len(pair_x))
    discounted = np.zeros(len(pair_x))
    for month in range(1, horizon_months + 1):
        cumulative = expected_purchases_if_active(
            fit, month * horizon_periods_per_month, pair_x, pair_age
        )
        discounted += (cumulative - previous) / (1 + monthly_rate) ** month
        previous = cumulative
    denominator = inverse_probability_alive(fit, x, t_x, big_t)
    value = discounted[pair_index] / denominator * np.asarray(margin_per_purchase, dtype=float)
    return value, previous[pair_index] / denominator
