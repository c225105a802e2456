"""Checks the CLV estimator tests share: gradients by differences, predictions against lifetimes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def assert_gradient_matches_differences(
    gradient,
    mean: Callable,
    parameters,
    *,
    relative_step: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-9,
) -> None:
    """gradient against central differences of mean (a function of the parameter vector)."""
    parameters = np.asarray(parameters, dtype=float)
    numeric = [
        (mean(parameters + step) - mean(parameters - step)) / (2 * step[i])
        for i, step in enumerate(np.diag(parameters * relative_step))
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=rtol, atol=atol)


def assert_predictions_match(
    ours, reference, frequency, recency, age, *, rtol: float = 1e-3, weeks=(10, 39)
) -> None:
    """Expected purchases (conditional, and for a new customer) and P(alive) against lifetimes."""
    for horizon in weeks:
        np.testing.assert_allclose(
            ours.expected_purchases(horizon, frequency, recency, age),
            reference.conditional_expected_number_of_purchases_up_to_time(
                horizon, frequency, recency, age
            ),
            rtol=rtol,
        )
        np.testing.assert_allclose(
            ours.expected_purchases_new_customer(horizon),
            reference.expected_number_of_purchases_up_to_time(horizon),
            rtol=rtol,
        )
    np.testing.assert_allclose(
        ours.probability_alive(frequency, recency, age),
        reference.conditional_probability_alive(frequency, recency, age),
        rtol=rtol,
    )
