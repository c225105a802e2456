"""Predictive customer lifetime value: BG/NBD, Gamma-Gamma and discounting (numpy/scipy)."""

from orchestration.clv.bgnbd import (
    BgNbdFit,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
    standard_errors,
)
from orchestration.clv.discounting import discounted_value_of_purchases
from orchestration.clv.errors import ClvFitError
from orchestration.clv.gamma_gamma import GammaGammaFit, expected_average_value, fit_gamma_gamma

__all__ = [
    "BgNbdFit",
    "ClvFitError",
    "GammaGammaFit",
    "discounted_value_of_purchases",
    "expected_average_value",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "probability_alive",
    "standard_errors",
]
