"""Predicted value over a horizon, discounted month by month: a net present value."""

from __future__ import annotations

import numpy as np

from orchestration.clv.summary import unique_combinations


def discounted_value_of_purchases(
    fit,
    frequency,
    recency,
    age,
    *,
    margin_per_purchase,
    horizon_periods_per_month: float,
    horizon_months: int,
    annual_discount_rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(discounted value, expected purchases) over the horizon, for any purchase-model fit.

    value = sum over months m = 1..H of
            (E[X(m w)] - E[X((m - 1) w)]) x margin / (1 + monthly rate)^m
    where E[X(t)] is the model's expected purchases in the next t periods, w
    the periods per month, and monthly rate = (1 + annual rate)^(1/12) - 1.
    fit is a BgNbdFit, MbgNbdFit or ParetoNbdFit.
    """
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    x, t_x, big_t = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, recency, age))
    # In every model E[X(t)] = P(alive | x, t_x, T) E[X(t) | alive, x, T], and
    # only the second factor depends on t: the discounted monthly increments
    # are summed per distinct (x, T) pair (few, and the special functions are
    # the slow part), then multiplied by each customer's probability alive.
    (x_values, age_values), (x_codes, age_codes), _, pair_index = unique_combinations(x, big_t)
    pair_x, pair_age = x_values[x_codes], age_values[age_codes]
    previous = np.zeros(len(pair_x))
    discounted = np.zeros(len(pair_x))
    for month in range(1, horizon_months + 1):
        cumulative = fit.expected_purchases_if_alive(
            month * horizon_periods_per_month, pair_x, pair_age
        )
        discounted += (cumulative - previous) / (1 + monthly_rate) ** month
        previous = cumulative
    alive = fit.probability_alive(x, t_x, big_t)
    value = discounted[pair_index] * alive * np.asarray(margin_per_purchase, dtype=float)
    return value, previous[pair_index] * alive
