"""Predicted value over a horizon, discounted month by month (brief section 2: NPV)."""

from __future__ import annotations

import numpy as np

from orchestration.clv.bgnbd import BgNbdFit, expected_purchases


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
    cumulative = [np.zeros(len(np.atleast_1d(frequency)))]
    for month in range(1, horizon_months + 1):
        cumulative.append(
            expected_purchases(fit, month * horizon_periods_per_month, frequency, recency, age)
        )
    cumulative = np.vstack(cumulative)
    per_month = np.diff(cumulative, axis=0)
    discount = (1 + monthly_rate) ** -np.arange(1, horizon_months + 1)
    value = (per_month * discount[:, None]).sum(axis=0) * np.asarray(
        margin_per_purchase, dtype=float
    )
    return value, cumulative[-1]
