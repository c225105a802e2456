"""Predictive customer lifetime value: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma (numpy/scipy).

Pure functions: numpy arrays in, frozen dataclasses out; no warehouse, no dbt. Holdout
validation and the choice between the purchase models: module validation.
"""

from orchestration.clv.bgnbd import BgNbdFit, fit_bgnbd
from orchestration.clv.discounting import discounted_value_of_purchases
from orchestration.clv.errors import ClvFitError
from orchestration.clv.gamma_gamma import GammaGammaFit, expected_average_value, fit_gamma_gamma
from orchestration.clv.holdout import holdout_observations
from orchestration.clv.mbgnbd import MbgNbdFit, fit_mbgnbd
from orchestration.clv.models import (
    MODEL_NAMES,
    PurchaseModelFit,
    expected_purchases,
    fit_purchase_model,
    probability_alive,
    standard_errors,
)
from orchestration.clv.pareto_nbd import ParetoNbdFit, fit_pareto_nbd
from orchestration.clv.validation import (
    HoldoutObservations,
    ModelChoice,
    ModelValidation,
    choose_model,
    compare_models,
    validate_model,
)

__all__ = [
    "MODEL_NAMES",
    "BgNbdFit",
    "ClvFitError",
    "GammaGammaFit",
    "HoldoutObservations",
    "MbgNbdFit",
    "ModelChoice",
    "ModelValidation",
    "ParetoNbdFit",
    "PurchaseModelFit",
    "choose_model",
    "compare_models",
    "discounted_value_of_purchases",
    "expected_average_value",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_purchase_model",
    "holdout_observations",
    "probability_alive",
    "standard_errors",
    "validate_model",
]
