"""Out-of-sample validation of the purchase models, and the choice between them.

The history is split at a calibration end: each model is fitted on the
calibration part and predicts, for every customer, the repeat purchases in
the holdout that follows; the predictions are compared with what customers
really did there (Fader, Hardie & Lee 2005 validate BG/NBD this way).

Inputs (HoldoutObservations), all cheap for SQL to provide:
  per customer whose first purchase is on or before the calibration end:
    frequency, recency, age   the calibration summary, in weeks (as for fitting)
    holdout_purchases         actual repeat purchases in the holdout
  per week:
    week_index, count_repeat_purchases
                              repeat purchases of those customers by week;
                              week k covers (k, k + 1] weeks after the
                              calibration end (k < 0 in the calibration).
                              With d = days from the calibration end to the
                              purchase day, k = floor((d - 1) / 7); weeks
                              without purchases may be left out.
The first-purchase weeks the tracking needs are the calibration ages (a
customer's first purchase was age weeks before the calibration end).

Outputs per model (ModelValidation): expected vs actual holdout purchases per
calibration-frequency bucket (0, 1, ..., 7+), the weekly and cumulative
expected vs actual repeat purchases over calibration and holdout (the
tracking plot; expectations from the model for a customer who made the
first purchase when each customer did, as in the literature), the mean
absolute error and root mean squared error per customer, and the total bias.
choose_model picks the model with the lowest holdout error and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from orchestration.clv.errors import ClvFitError
from orchestration.clv.models import MODEL_NAMES, fit_purchase_model
from orchestration.clv.summary import as_summary, dot

MAX_FREQUENCY_BUCKET = 7  # buckets 0, 1, ..., 6 and "7+"
# Two models' errors count as equal when their difference is within this many
# standard errors of the paired difference (about 95% of differences that
# chance alone makes, when the two models are equally good, are smaller).
EQUAL_ERROR_STANDARD_ERRORS = 2.0
CRITERIA = {
    "mean_squared_error": "mean squared error",
    "mean_absolute_error": "mean absolute error",
}


@dataclass(frozen=True)
class HoldoutObservations:
    """Calibration summary, holdout purchases and weekly repeat purchases (module docstring)."""

    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    holdout_purchases: np.ndarray
    holdout_weeks: float
    week_index: np.ndarray
    count_repeat_purchases: np.ndarray


@dataclass(frozen=True)
class FrequencyBuckets:
    """Mean holdout repeat purchases per customer, by calibration frequency (0, ..., 7+)."""

    labels: tuple[str, ...]
    count_customers: np.ndarray
    actual_mean: np.ndarray
    expected_mean: np.ndarray

    def rows(self) -> list[dict]:
        return [
            {
                "frequency_bucket": label,
                "count_customers": int(count),
                "actual_mean_holdout_purchases": float(actual),
                "expected_mean_holdout_purchases": float(expected),
            }
            for label, count, actual, expected in zip(
                self.labels,
                self.count_customers,
                self.actual_mean,
                self.expected_mean,
                strict=True,
            )
        ]


@dataclass(frozen=True)
class WeeklyTracking:
    """Expected vs actual repeat purchases per week; week_index k covers (k, k + 1]."""

    week_index: np.ndarray
    actual: np.ndarray
    expected: np.ndarray

    @property
    def actual_cumulative(self) -> np.ndarray:
        return np.cumsum(self.actual)

    @property
    def expected_cumulative(self) -> np.ndarray:
        return np.cumsum(self.expected)

    def rows(self) -> list[dict]:
        return [
            {
                "week_index": int(week),
                "is_holdout": bool(week >= 0),
                "actual_repeat_purchases": float(actual),
                "expected_repeat_purchases": float(expected),
                "actual_cumulative_repeat_purchases": float(actual_cumulative),
                "expected_cumulative_repeat_purchases": float(expected_cumulative),
            }
            for week, actual, expected, actual_cumulative, expected_cumulative in zip(
                self.week_index,
                self.actual,
                self.expected,
                self.actual_cumulative,
                self.expected_cumulative,
                strict=True,
            )
        ]


@dataclass(frozen=True)
class ModelValidation:
    """One model's holdout comparison; status 'not_fitted' (with message) when it could not fit."""

    model: str
    status: str
    message: str = ""
    fit: object = None
    expected_holdout: np.ndarray = field(default_factory=lambda: np.zeros(0))
    actual_holdout: np.ndarray = field(default_factory=lambda: np.zeros(0))
    buckets: FrequencyBuckets | None = None
    tracking: WeeklyTracking | None = None

    @property
    def errors(self) -> np.ndarray:
        """Expected minus actual holdout repeat purchases, per customer."""
        return self.expected_holdout - self.actual_holdout

    @property
    def mean_absolute_error(self) -> float:
        return float(np.mean(np.abs(self.errors))) if self.status == "fitted" else np.nan

    @property
    def mean_squared_error(self) -> float:
        return float(np.mean(self.errors**2)) if self.status == "fitted" else np.nan

    @property
    def total_expected(self) -> float:
        return float(self.expected_holdout.sum())

    @property
    def total_actual(self) -> float:
        return float(self.actual_holdout.sum())

    @property
    def total_bias(self) -> float:
        """Expected minus actual repeat purchases over all customers (> 0: over-prediction)."""
        return self.total_expected - self.total_actual

    def summary_row(self) -> dict:
        return {
            "model": self.model,
            "status": self.status,
            "message": self.message,
            "count_customers": len(self.actual_holdout),
            "mean_absolute_error": self.mean_absolute_error,
            "root_mean_squared_error": float(np.sqrt(self.mean_squared_error)),
            "total_expected_holdout_purchases": self.total_expected,
            "total_actual_holdout_purchases": self.total_actual,
            "total_bias": self.total_bias if self.status == "fitted" else np.nan,
        }


@dataclass(frozen=True)
class ModelChoice:
    """The model to use and why, in words."""

    model: str
    reason: str


def frequency_buckets(
    frequency, actual, expected, max_bucket: int = MAX_FREQUENCY_BUCKET
) -> FrequencyBuckets:
    """Mean actual and expected holdout purchases per calibration frequency 0, 1, ..., max_bucket+.

    Buckets without customers have count 0 and NaN means.
    """
    bucket = np.minimum(np.asarray(frequency, dtype=float), max_bucket).astype(np.int64)
    count = np.bincount(bucket, minlength=max_bucket + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        actual_mean = np.bincount(bucket, actual, minlength=max_bucket + 1) / count
        expected_mean = np.bincount(bucket, expected, minlength=max_bucket + 1) / count
    labels = tuple(str(value) for value in range(max_bucket)) + (f"{max_bucket}+",)
    return FrequencyBuckets(labels, count, actual_mean, expected_mean)


def weekly_tracking(fit, observations: HoldoutObservations) -> WeeklyTracking:
    """Expected vs actual repeat purchases per week over calibration and holdout.

    Expected in week k: the sum over customers of E[X(T + k + 1)] - E[X(T + k)],
    E[X(t)] the model's expected repeat purchases in the first t weeks after
    a first purchase (0 for t <= 0), T the customer's calibration age; the
    last holdout week ends at the holdout end. Computed once per distinct age.
    """
    age = np.asarray(observations.age, dtype=float)
    holdout = float(observations.holdout_weeks)
    first_week = -int(np.ceil(age.max()))
    weeks = np.arange(first_week, int(np.ceil(holdout)))
    actual = _weekly_actual(observations, weeks)
    ages, count_by_age = np.unique(age, return_counts=True)
    ends = np.minimum(np.append(weeks, weeks[-1] + 1), holdout)
    since_first = np.maximum(ages[:, None] + ends[None, :], 0.0)
    cumulative = dot(count_by_age, fit.expected_purchases_new_customer(since_first))
    return WeeklyTracking(weeks, actual, np.diff(cumulative))


def _weekly_actual(observations: HoldoutObservations, weeks: np.ndarray) -> np.ndarray:
    week_index = np.asarray(observations.week_index)
    count = np.asarray(observations.count_repeat_purchases, dtype=float)
    if len(week_index) != len(count):
        raise ClvFitError(
            "Holdout validation: week_index and count_repeat_purchases must have the same "
            f"length; got {len(week_index)} and {len(count)}."
        )
    outside = (week_index < weeks[0]) | (week_index > weeks[-1])
    if outside.any():
        raise ClvFitError(
            f"Holdout validation: {int(count[outside].sum())} weekly repeat purchases fall in "
            f"weeks {sorted(set(week_index[outside].tolist()))[:5]}, outside weeks "
            f"{weeks[0]}..{weeks[-1]} (first purchase of the oldest customer to holdout end). "
            "Count only repeat purchases of customers in the calibration summary, up to the "
            "holdout end."
        )
    actual = np.bincount(week_index - weeks[0], count, minlength=len(weeks))
    for period, weekly, per_customer, column in (
        ("calibration", actual[weeks < 0], observations.frequency, "frequency"),
        ("holdout", actual[weeks >= 0], observations.holdout_purchases, "holdout_purchases"),
    ):
        if not np.isclose(weekly.sum(), np.sum(per_customer)):
            raise ClvFitError(
                f"Holdout validation: the weekly counts add up to {weekly.sum():.0f} repeat "
                f"purchases in the {period} period, the customers' {column} to "
                f"{np.sum(per_customer):.0f}. Both must count the same repeat purchases "
                "(purchase days after the first) of the same customers."
            )
    return actual


def validate_model(fit, observations: HoldoutObservations) -> ModelValidation:
    """Compare one calibration fit's holdout predictions with what customers did."""
    frequency, recency, age = (
        np.asarray(v, dtype=float)
        for v in (observations.frequency, observations.recency, observations.age)
    )
    actual = np.asarray(observations.holdout_purchases, dtype=float)
    if len(actual) != len(frequency) or np.any(actual < 0):
        raise ClvFitError(
            "Holdout validation: holdout_purchases needs one count >= 0 per customer of the "
            f"calibration summary ({len(frequency)} customers); got {len(actual)} values."
        )
    expected = fit.expected_purchases(observations.holdout_weeks, frequency, recency, age)
    return ModelValidation(
        model=fit.model,
        status="fitted",
        fit=fit,
        expected_holdout=expected,
        actual_holdout=actual,
        buckets=frequency_buckets(frequency, actual, expected),
        tracking=weekly_tracking(fit, observations),
    )


def compare_models(
    observations: HoldoutObservations,
    models: Sequence[str] = MODEL_NAMES,
    *,
    min_customers: int = 20,
) -> list[ModelValidation]:
    """Fit each model on the calibration summary and validate it on the holdout.

    A model that cannot be fitted (ClvFitError) is kept with status
    'not_fitted' and the error as its message; the others go on.
    """
    as_summary(
        "Holdout validation",
        observations.frequency,
        observations.recency,
        observations.age,
        min_customers=min_customers,
    )
    validations = []
    for model in models:
        try:
            fit = fit_purchase_model(
                model,
                observations.frequency,
                observations.recency,
                observations.age,
                min_customers=min_customers,
            )
        except ClvFitError as error:
            validations.append(
                ModelValidation(
                    model=model,
                    status="not_fitted",
                    message=str(error),
                    actual_holdout=np.asarray(observations.holdout_purchases, dtype=float),
                )
            )
            continue
        validations.append(validate_model(fit, observations))
    return validations


def choose_model(
    validations: Sequence[ModelValidation],
    *,
    pinned: str | None = None,
    criterion: str = "mean_squared_error",
) -> ModelChoice:
    """The model with the lowest holdout error (or the pinned one), with the reason in words.

    criterion: 'mean_squared_error' (default) or 'mean_absolute_error'. The
    models predict each customer's expected purchases, which is what the
    squared error rewards; the absolute error rewards the median, which is 0
    for most customers in a holdout, so it can prefer a model that simply
    predicts less. The reason also says whether the winner's lead is larger
    than chance: within EQUAL_ERROR_STANDARD_ERRORS standard errors of the
    paired difference of the per-customer errors, the two models predict
    the holdout equally well.
    """
    if criterion not in CRITERIA:
        raise ClvFitError(f"Unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}.")
    fitted = [validation for validation in validations if validation.status == "fitted"]
    not_fitted = [validation.model for validation in validations if validation.status != "fitted"]
    skipped = f" Not fitted: {', '.join(not_fitted)}." if not_fitted else ""
    if not fitted:
        raise ClvFitError(
            "No purchase model could be fitted on the calibration period, so none can be "
            f"chosen.{skipped} Use a longer history or a shorter holdout."
        )
    name = CRITERIA[criterion]
    ranked = sorted(fitted, key=lambda validation: getattr(validation, criterion))
    values = ", ".join(
        f"{validation.model} {getattr(validation, criterion):.4g}" for validation in ranked
    )
    if pinned is not None:
        if pinned not in {validation.model for validation in fitted}:
            raise ClvFitError(
                f"The pinned purchase model {pinned!r} was not fitted on the calibration "
                f"period.{skipped} Pin one of {', '.join(v.model for v in fitted)} or unpin it."
            )
        return ModelChoice(
            pinned,
            f"{pinned}: pinned by configuration. Holdout {name} per customer: {values}." + skipped,
        )
    best = ranked[0]
    reason = f"{best.model}: lowest holdout {name} per customer ({values})."
    if len(ranked) > 1:
        runner_up = ranked[1]
        lead, standard_error = _paired_difference(runner_up, best, criterion)
        if lead <= EQUAL_ERROR_STANDARD_ERRORS * standard_error:
            reason += (
                f" Its lead over {runner_up.model}, {lead:.3g}, is within "
                f"{EQUAL_ERROR_STANDARD_ERRORS:g} standard errors of the paired difference "
                f"({standard_error:.3g}): the two predict the holdout equally well."
            )
        else:
            reason += (
                f" Its lead over {runner_up.model}, {lead:.3g}, is more than "
                f"{EQUAL_ERROR_STANDARD_ERRORS:g} standard errors of the paired difference "
                f"({standard_error:.3g}): a real difference."
            )
    return ModelChoice(best.model, reason + skipped)


def _paired_difference(
    worse: ModelValidation, better: ModelValidation, criterion: str
) -> tuple[float, float]:
    """Mean per-customer loss difference (worse - better) and its standard error."""
    if criterion == "mean_squared_error":
        difference = worse.errors**2 - better.errors**2
    else:
        difference = np.abs(worse.errors) - np.abs(better.errors)
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(len(difference)))


def equal_error(first: ModelValidation, second: ModelValidation, criterion: str) -> bool:
    """True when the two models' holdout errors differ by no more than chance (choose_model)."""
    better, worse = sorted((first, second), key=lambda validation: getattr(validation, criterion))
    lead, standard_error = _paired_difference(worse, better, criterion)
    return lead <= EQUAL_ERROR_STANDARD_ERRORS * standard_error
