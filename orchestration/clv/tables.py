"""The predictive CLV tables from pandas DataFrames, whatever engine holds the data.

Three functions, one per table, each a DataFrame in and a DataFrame out;
`clv_tables` runs them in order. They are the one code path for the maths
of the marts' predictions:

- on DuckDB the dbt Python models int_clv_model_validation,
  int_clv_model_fit and int_customers_predicted_value each read their
  inputs and call one of them (so `dbt build` alone covers the predictions);
- where dbt runs no Python models (open-source Spark), the CLV fit step
  (orchestration/clv_fit_step.py) reads the same inputs through the engine,
  calls `clv_tables` and writes the three tables back, which same-named SQL
  models read (docs/architecture.md, "Predictions on every engine").

Inputs are sorted here (customer, then purchase date): the engines return
rows in no defined order, and sums taken in another order move the fitted
optimum in the 7th digit from one build to the next.

Refit cadence (var clv_refit_cadence, LOYALTY_CLV_REFIT): the models are
fitted on the data as of the fit date, the as-of date itself (daily), the
Monday of its week (weekly) or the first of its month (monthly); the
predictions (predicted_value) are made as of the as-of date. Validation and
fit carry a fingerprint of what they depend on (fit date, vars, the purchase
days up to the fit date, this package's code): a build whose fingerprint
equals the one its table holds keeps that table instead of fitting again, so
a chain of daily builds and one full build give the same fit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.clv.bgnbd import BgNbdFit
from orchestration.clv.discounting import discounted_value_of_purchases
from orchestration.clv.errors import ClvFitError
from orchestration.clv.gamma_gamma import GammaGammaFit, expected_average_value, fit_gamma_gamma
from orchestration.clv.holdout import holdout_observations
from orchestration.clv.mbgnbd import MbgNbdFit
from orchestration.clv.models import fit_purchase_model, probability_alive
from orchestration.clv.pareto_nbd import ParetoNbdFit
from orchestration.clv.validation import choose_model, compare_models
from orchestration.settings import REFIT_CADENCES

# The purchase model when the holdout validation is skipped and none is pinned.
DEFAULT_MODEL = "mbgnbd"
WEEKS_PER_MONTH = 52.1775 / 12

VALIDATION_COLUMNS = {
    "as_of_date": "object",
    "calibration_end_date": "object",
    "holdout_weeks": "float64",
    "purchase_model": "string",
    "status": "string",
    "message": "string",
    "comparison": "string",
    "frequency_bucket": "string",
    "week_index": "Int32",
    "is_holdout": "boolean",
    "count_customers": "Int32",
    "actual_repeat_purchases": "float64",
    "expected_repeat_purchases": "float64",
    "actual_cumulative_repeat_purchases": "float64",
    "expected_cumulative_repeat_purchases": "float64",
    "mean_absolute_error": "float64",
    "root_mean_squared_error": "float64",
    "total_bias": "float64",
    "is_chosen": "boolean",
    "choice_reason": "string",
    "fit_fingerprint": "string",
}

# What the validation and the fit read of int_customer_purchase_days (and its fingerprint).
PURCHASE_DAY_COLUMNS = ("customer_id", "purchase_date", "purchase_number", "net_revenue")

PREDICTION_COLUMNS = [
    "customer_id",
    "potential_value_method",
    "probability_active",
    "expected_purchases",
    "expected_spend_per_purchase",
    "expected_margin_per_purchase",
    "potential_value",
]


@dataclass(frozen=True)
class ClvConfig:
    """The dbt vars the three tables depend on (dbt_project.yml, "Customer value")."""

    min_customers_to_fit: int
    min_repeat_customers_to_fit: int
    holdout_weeks: float
    purchase_model: str | None
    horizon_months: int
    annual_discount_rate: float
    refit_cadence: str = "daily"

    def __post_init__(self) -> None:
        if self.refit_cadence not in REFIT_CADENCES:
            raise ClvFitError(
                f"var clv_refit_cadence (LOYALTY_CLV_REFIT) is {self.refit_cadence!r}; "
                f"use one of {', '.join(REFIT_CADENCES)}."
            )

    @classmethod
    def from_values(cls, **values) -> ClvConfig:
        """From the vars as dbt hands them over (text); an empty purchase model is none, an
        empty or missing refit cadence daily."""
        return cls(
            min_customers_to_fit=int(values["min_customers_to_fit"]),
            min_repeat_customers_to_fit=int(values["min_repeat_customers_to_fit"]),
            holdout_weeks=float(values["holdout_weeks"]),
            purchase_model=str(values.get("purchase_model") or "").strip() or None,
            horizon_months=int(values["horizon_months"]),
            annual_discount_rate=float(values["annual_discount_rate"]),
            refit_cadence=str(values.get("refit_cadence") or "").strip().lower() or "daily",
        )


# ---- refit cadence ----------------------------------------------------------


def fit_date(as_of_date, cadence: str) -> dt.date:
    """The date the models are fitted as of: the as-of date (daily), the Monday of its week
    (weekly) or the first of its month (monthly)."""
    as_of = pd.Timestamp(as_of_date).date()
    if cadence == "weekly":
        return as_of - dt.timedelta(days=as_of.weekday())
    if cadence == "monthly":
        return as_of.replace(day=1)
    return as_of


# The fit's code: a change to it makes the next build fit again.
_CODE = b"".join(path.read_bytes() for path in sorted(Path(__file__).parent.glob("*.py")))


def fit_fingerprint(fitted_on: dt.date, purchase_days: pd.DataFrame, config: ClvConfig) -> str:
    """What a fit depends on, as one hex digest: the fit date, the vars the fit reads (not
    the horizon and discount rate, which only the predictions use), the purchase days up to
    the fit date (customer, date, number, net revenue) and the code of this package."""
    return _fingerprint(fitted_on, _days_up_to(purchase_days, fitted_on), config)


def _fingerprint(fitted_on: dt.date, days: pd.DataFrame, config: ClvConfig) -> str:
    """fit_fingerprint of the purchase days already cut at the fit date (_days_up_to)."""
    # The values, not the types an engine hands them over in (Spark gives decimals and
    # 32-bit integers where DuckDB gives floats and 64-bit ones): the same days, one digest.
    # Dates as day numbers: the same for any resolution an engine gives, and cheap (0.9M
    # purchase days at 1M orders: 0.004 s, where formatting them as text took 0.35 s).
    canonical = pd.DataFrame(
        {
            "customer_id": days["customer_id"].astype(str),
            "purchase_date": days["purchase_date"].to_numpy().astype("datetime64[D]").view("int64"),
            "purchase_number": days["purchase_number"].astype("int64"),
            "net_revenue": days["net_revenue"].astype("float64").round(6),
        }
    )
    digest = hashlib.sha256(_CODE)
    fit_vars = {
        field.name: getattr(config, field.name)
        for field in fields(config)
        if field.name not in ("horizon_months", "annual_discount_rate", "refit_cadence")
    }
    digest.update(repr((fitted_on.isoformat(), sorted(fit_vars.items()))).encode())
    digest.update(pd.util.hash_pandas_object(canonical, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _days_up_to(purchase_days: pd.DataFrame, last: dt.date) -> pd.DataFrame:
    """The purchase days on or before `last`, sorted by customer and date."""
    dates = pd.to_datetime(purchase_days["purchase_date"])
    days = purchase_days[dates <= pd.Timestamp(last)].assign(purchase_date=dates)
    return days.sort_values(["customer_id", "purchase_date"], kind="stable", ignore_index=True)


def _kept(previous: pd.DataFrame | None, fingerprint: str) -> bool:
    """True when a table made by an earlier build was fitted on the same inputs."""
    return (
        previous is not None
        and len(previous) > 0
        and "fit_fingerprint" in previous.columns
        and bool((previous["fit_fingerprint"] == fingerprint).all())
    )


def fit_summary(purchase_days: pd.DataFrame, fitted_on: dt.date) -> pd.DataFrame:
    """The per-customer summary the models are fitted on, as of the fit date, in weeks (as
    int_customers_clv_summary makes it as of the as-of date): frequency (purchase days after
    the first), recency_weeks (first to last purchase day), age_weeks (first purchase day to
    the fit date) and mean_repeat_spend (mean net revenue of the repeat purchase days)."""
    return _summary(_days_up_to(purchase_days, fitted_on), fitted_on)


def _summary(days: pd.DataFrame, fitted_on: dt.date) -> pd.DataFrame:
    """fit_summary of the purchase days already cut at the fit date (_days_up_to)."""
    by_customer = days.groupby("customer_id", sort=True)
    first, last = by_customer["purchase_date"].min(), by_customer["purchase_date"].max()
    repeat = days[days["purchase_number"] > 1]
    return (
        pd.DataFrame(
            {
                "frequency": by_customer["purchase_date"].count() - 1,
                "recency_weeks": (last - first).dt.days / 7.0,
                "age_weeks": (pd.Timestamp(fitted_on) - first).dt.days / 7.0,
                "mean_repeat_spend": repeat.groupby("customer_id")["net_revenue"].mean(),
            }
        )
        .rename_axis("customer_id")
        .reset_index()
    )


# ---- int_clv_model_validation ---------------------------------------------


def _validation_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))
    for name, dtype in VALIDATION_COLUMNS.items():
        if dtype == "object":  # dates
            frame[name] = pd.to_datetime(frame[name]).dt.date
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def model_validation(
    as_of_date,
    purchase_days: pd.DataFrame,
    config: ClvConfig,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Holdout validation of the purchase models and the choice of one (int_clv_model_validation).

    purchase_days: customer_id, purchase_date, purchase_number, net_revenue
    (one row per customer and purchase day, int_customer_purchase_days).
    The holdout ends on the fit date (fit_date); `previous`, the table an
    earlier build made, is returned unchanged when it was made on the same
    inputs (fit_fingerprint).
    """
    fitted_on = fit_date(as_of_date, config.refit_cadence)
    days = _days_up_to(purchase_days, fitted_on)  # sorted once, for the fingerprint and the fit
    fingerprint = _fingerprint(fitted_on, days, config)
    if _kept(previous, fingerprint):
        return _validation_frame(previous.to_dict("records"))
    holdout_weeks = config.holdout_weeks
    min_customers, min_repeat = config.min_customers_to_fit, config.min_repeat_customers_to_fit
    pinned = config.purchase_model
    as_of_date = pd.Timestamp(fitted_on)
    calibration_end = as_of_date - pd.Timedelta(days=round(7 * holdout_weeks))
    days = days[["customer_id", "purchase_date", "purchase_number"]]
    common = {
        "as_of_date": as_of_date.date(),
        "calibration_end_date": calibration_end.date(),
        "holdout_weeks": holdout_weeks,
        "fit_fingerprint": fingerprint,
    }

    observations = holdout_observations(days, calibration_end, as_of_date, holdout_weeks)
    count_calibration = len(observations.frequency)
    count_repeat = int((observations.frequency > 0).sum())
    reason = ""
    if count_calibration < min_customers or count_repeat < min_repeat:
        reason = (
            f"Holdout validation skipped: {count_calibration} customers had bought by the "
            f"calibration end {calibration_end.date()} (the as-of date minus var "
            f"clv_holdout_weeks = {holdout_weeks:g} weeks), {count_repeat} of them more than "
            f"once; fitting needs at least {min_customers} (var clv_min_customers_to_fit) and "
            f"{min_repeat} (var clv_min_repeat_customers_to_fit). A longer history or a "
            "shorter holdout makes it possible."
        )
    validations = []
    if not reason:
        validations = compare_models(observations, min_customers=min_customers)
        if not any(validation.status == "fitted" for validation in validations):
            reason = "Holdout validation: no model could be fitted on the calibration period. " + (
                " ".join(f"{v.model}: {v.message}" for v in validations)
            )
    if reason:
        chosen = pinned or DEFAULT_MODEL
        why = (
            f"{chosen}: pinned by var clv_purchase_model. {reason}"
            if pinned
            else f"{chosen}: the default without a holdout validation (MBG/NBD lets a customer "
            f"drop out right after the first purchase). {reason}"
        )
        return _validation_frame(
            [
                {
                    **common,
                    "purchase_model": chosen,
                    "status": "skipped",
                    "message": reason,
                    "comparison": "summary",
                    "is_chosen": True,
                    "choice_reason": why,
                }
            ]
        )
    try:
        choice = choose_model(validations, pinned=pinned)
    except ClvFitError as error:
        raise ClvFitError(f"{error} (var clv_purchase_model)") from error

    rows = []
    for validation in validations:
        summary = validation.summary_row()
        is_chosen = validation.model == choice.model
        rows.append(
            {
                **common,
                "purchase_model": validation.model,
                "status": validation.status,
                "message": validation.message,
                "comparison": "summary",
                "count_customers": summary["count_customers"],
                "actual_repeat_purchases": summary["total_actual_holdout_purchases"],
                "expected_repeat_purchases": summary["total_expected_holdout_purchases"]
                if validation.status == "fitted"
                else np.nan,
                "mean_absolute_error": summary["mean_absolute_error"],
                "root_mean_squared_error": summary["root_mean_squared_error"],
                "total_bias": summary["total_bias"],
                "is_chosen": is_chosen,
                "choice_reason": choice.reason if is_chosen else "",
            }
        )
        if validation.status != "fitted":
            continue
        for bucket in validation.buckets.rows():
            rows.append(
                {
                    **common,
                    "purchase_model": validation.model,
                    "status": validation.status,
                    "comparison": "frequency_bucket",
                    "frequency_bucket": bucket["frequency_bucket"],
                    "count_customers": bucket["count_customers"],
                    "actual_repeat_purchases": bucket["actual_mean_holdout_purchases"],
                    "expected_repeat_purchases": bucket["expected_mean_holdout_purchases"],
                    "is_chosen": is_chosen,
                }
            )
        for week in validation.tracking.rows():
            rows.append(
                {
                    **common,
                    "purchase_model": validation.model,
                    "status": validation.status,
                    "comparison": "week",
                    "week_index": week["week_index"],
                    "is_holdout": week["is_holdout"],
                    "actual_repeat_purchases": week["actual_repeat_purchases"],
                    "expected_repeat_purchases": week["expected_repeat_purchases"],
                    "actual_cumulative_repeat_purchases": week[
                        "actual_cumulative_repeat_purchases"
                    ],
                    "expected_cumulative_repeat_purchases": week[
                        "expected_cumulative_repeat_purchases"
                    ],
                    "is_chosen": is_chosen,
                }
            )
    return _validation_frame(rows)


# ---- int_clv_model_fit ----------------------------------------------------


def _purchase_model_columns(fit) -> dict:
    if fit.model == "pareto_nbd":
        return {
            "purchase_model_s": fit.s,
            "purchase_model_beta": fit.beta,
            "dropout_model": "exponential_lifetime",
        }
    same = fit.same_dropout_for_everyone
    return {
        # a = b = infinity: every customer drops out with the same probability.
        "purchase_model_a": None if same else fit.a,
        "purchase_model_b": None if same else fit.b,
        "dropout_model": "same_for_everyone" if same else "beta",
        "dropout_probability": fit.p if same else fit.a / (fit.a + fit.b),
    }


def model_fit(
    as_of_date,
    purchase_days: pd.DataFrame,
    validation: pd.DataFrame,
    config: ClvConfig,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row: the chosen purchase model and Gamma-Gamma fitted (int_clv_model_fit).

    Fitted on the summary as of the fit date (fit_summary of purchase_days,
    int_customer_purchase_days); validation: model_validation's table (its
    chosen summary row names the purchase model). `previous`, the row an
    earlier build made, is kept (is_refitted false, this build's as_of_date)
    when it was fitted on the same inputs (fit_fingerprint).
    """
    fitted_on = fit_date(as_of_date, config.refit_cadence)
    days = _days_up_to(purchase_days, fitted_on)  # sorted once, for the fingerprint and the fit
    fingerprint = _fingerprint(fitted_on, days, config)
    as_of_date = pd.Timestamp(as_of_date).date()
    if _kept(previous, fingerprint):
        return _fit_frame(
            {**previous.iloc[0].to_dict(), "as_of_date": as_of_date, "is_refitted": False}
        )
    min_customers = config.min_customers_to_fit
    min_repeat_customers = config.min_repeat_customers_to_fit
    summary = _summary(days, fitted_on)
    chosen = validation[(validation["comparison"] == "summary") & validation["is_chosen"]].iloc[0]
    repeat = summary[(summary["frequency"] > 0) & (summary["mean_repeat_spend"] > 0)]

    row = {
        "as_of_date": as_of_date,
        "count_customers": len(summary),
        "count_repeat_customers": int((summary["frequency"] > 0).sum()),
        "count_gamma_gamma_customers": len(repeat),
        "status": "fitted",
        "status_message": "",
        "purchase_model": chosen["purchase_model"],
        "purchase_model_reason": chosen["choice_reason"],
        "purchase_model_r": None,
        "purchase_model_alpha": None,
        "purchase_model_a": None,
        "purchase_model_b": None,
        "purchase_model_s": None,
        "purchase_model_beta": None,
        "dropout_model": None,
        "dropout_probability": None,
        "purchase_model_log_likelihood": None,
        "gamma_gamma_p": None,
        "gamma_gamma_q": None,
        "gamma_gamma_v": None,
        "gamma_gamma_log_likelihood": None,
        "fit_seconds": 0.0,
        "fit_date": fitted_on,
        "is_refitted": True,
        "fit_fingerprint": fingerprint,
    }
    if len(summary) < min_customers or len(repeat) < min_repeat_customers:
        row["status"] = "not_fitted_too_few_customers"
        row["status_message"] = (
            f"{len(summary)} customers ({len(repeat)} with repeat purchases); the models need "
            f"at least {min_customers} (var clv_min_customers_to_fit) and "
            f"{min_repeat_customers} (var clv_min_repeat_customers_to_fit). Every customer "
            "uses the simple estimate."
        )
    else:
        started = time.perf_counter()
        purchase_fit = fit_purchase_model(
            chosen["purchase_model"],
            summary["frequency"].to_numpy(dtype=float),
            summary["recency_weeks"].to_numpy(dtype=float),
            summary["age_weeks"].to_numpy(dtype=float),
        )
        gamma_gamma = fit_gamma_gamma(
            repeat["frequency"].to_numpy(dtype=float),
            repeat["mean_repeat_spend"].to_numpy(dtype=float),
        )
        row.update(
            purchase_model_r=purchase_fit.r,
            purchase_model_alpha=purchase_fit.alpha,
            purchase_model_log_likelihood=purchase_fit.log_likelihood,
            gamma_gamma_p=gamma_gamma.p,
            gamma_gamma_q=gamma_gamma.q,
            gamma_gamma_v=gamma_gamma.v,
            gamma_gamma_log_likelihood=gamma_gamma.log_likelihood,
            **_purchase_model_columns(purchase_fit),
        )
        row["fit_seconds"] = time.perf_counter() - started
    return _fit_frame(row)


FIT_TEXT_COLUMNS = [
    "fit_fingerprint",
    "status",
    "status_message",
    "purchase_model",
    "purchase_model_reason",
    "dropout_model",
]
FIT_COUNT_COLUMNS = ["count_customers", "count_repeat_customers", "count_gamma_gamma_customers"]


def _fit_frame(row: dict) -> pd.DataFrame:
    """The fit's one row with its column types (the same whether fitted now or kept)."""
    frame = pd.DataFrame([row])
    float_columns = [
        name
        for name in row
        if name.startswith(("purchase_model_", "dropout_probability", "gamma_gamma_"))
        and name not in FIT_TEXT_COLUMNS
    ]
    frame[float_columns] = frame[float_columns].astype("float64")
    frame[FIT_TEXT_COLUMNS] = frame[FIT_TEXT_COLUMNS].astype("string")
    frame[FIT_COUNT_COLUMNS] = frame[FIT_COUNT_COLUMNS].astype("int32")
    frame["fit_seconds"] = frame["fit_seconds"].astype("float64")
    frame["is_refitted"] = frame["is_refitted"].astype("bool")
    for name in ("as_of_date", "fit_date"):
        frame[name] = pd.to_datetime(frame[name]).dt.date
    return frame


# ---- int_customers_predicted_value ----------------------------------------


def _purchase_fit(fit_row):
    if fit_row["purchase_model"] == "pareto_nbd":
        return ParetoNbdFit.from_parameters(
            r=fit_row["purchase_model_r"],
            alpha=fit_row["purchase_model_alpha"],
            s=fit_row["purchase_model_s"],
            beta=fit_row["purchase_model_beta"],
        )
    fit_class = MbgNbdFit if fit_row["purchase_model"] == "mbgnbd" else BgNbdFit
    return fit_class.from_parameters(
        r=fit_row["purchase_model_r"],
        alpha=fit_row["purchase_model_alpha"],
        a=fit_row["purchase_model_a"],
        b=fit_row["purchase_model_b"],
        p=fit_row["dropout_probability"],
    )


def predicted_value(summary: pd.DataFrame, fit: pd.DataFrame, config: ClvConfig) -> pd.DataFrame:
    """Per-customer predictions from the fit's one row (int_customers_predicted_value)."""
    fit_row = fit.iloc[0]
    summary = summary.sort_values("customer_id", kind="stable", ignore_index=True)
    if fit_row["status"] != "fitted" or summary.empty:
        return pd.DataFrame(
            {name: pd.Series(dtype="float64") for name in PREDICTION_COLUMNS}
        ).astype({"customer_id": "string", "potential_value_method": "string"})

    purchase_fit = _purchase_fit(fit_row)
    gamma_gamma = GammaGammaFit.from_parameters(
        p=fit_row["gamma_gamma_p"], q=fit_row["gamma_gamma_q"], v=fit_row["gamma_gamma_v"]
    )
    frequency = summary["frequency"].to_numpy(dtype=float)
    recency = summary["recency_weeks"].to_numpy(dtype=float)
    age = summary["age_weeks"].to_numpy(dtype=float)
    own_spend = summary["mean_repeat_spend"].to_numpy(dtype=float)
    margin_rate = summary["margin_rate"].to_numpy(dtype=float)
    cost_to_serve = summary["cost_to_serve_per_purchase"].to_numpy(dtype=float)

    has_repeat = (frequency > 0) & (own_spend > 0)
    spend = np.where(
        has_repeat,
        expected_average_value(gamma_gamma, frequency, np.where(has_repeat, own_spend, 1.0)),
        expected_average_value(gamma_gamma, 0.0, 0.0),
    )
    margin = spend * margin_rate - cost_to_serve
    method = np.where(
        margin <= 0,
        "negative_margin_after_cost_to_serve",
        np.where(has_repeat, "model_gamma_gamma_spend", "model_population_spend"),
    )
    value, purchases = discounted_value_of_purchases(
        purchase_fit,
        frequency,
        recency,
        age,
        margin_per_purchase=margin,
        horizon_periods_per_month=WEEKS_PER_MONTH,
        horizon_months=config.horizon_months,
        annual_discount_rate=config.annual_discount_rate,
    )
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype("string"),
            "potential_value_method": pd.Series(method, dtype="string"),
            "probability_active": probability_alive(purchase_fit, frequency, recency, age),
            "expected_purchases": purchases,
            "expected_spend_per_purchase": spend,
            "expected_margin_per_purchase": margin,
            "potential_value": value,
        }
    )


# ---- all three ------------------------------------------------------------


def clv_tables(
    as_of_date, purchase_days: pd.DataFrame, summary: pd.DataFrame, config: ClvConfig
) -> dict[str, pd.DataFrame]:
    """The three tables, by model name, made as the three dbt Python models make them."""
    validation = model_validation(as_of_date, purchase_days, config)
    fit = model_fit(as_of_date, purchase_days, validation, config)
    return {
        "int_clv_model_validation": validation,
        "int_clv_model_fit": fit,
        "int_customers_predicted_value": predicted_value(summary, fit, config),
    }
