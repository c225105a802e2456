"""Holdout validation of the purchase models, and the choice of the one the marts use.

The purchase days are split at the calibration end, the as-of date minus
var clv_holdout_weeks. Each candidate model (BG/NBD, MBG/NBD, Pareto/NBD) is
fitted on the customers who had bought by then, on their calibration
history, and predicts their repeat purchases in the holdout weeks that
follow; orchestration.clv.validation compares that with what they did:
per calibration-frequency bucket (0, 1, ..., 7+), week by week (and
cumulated), and per customer (mean absolute error, root mean squared error,
total bias). The model with the lowest holdout mean squared error is chosen
unless var clv_purchase_model pins one; with too little history the
validation is skipped and says why. One long table: comparison is summary
(one row per model), frequency_bucket or week.
"""

import numpy as np
import pandas as pd

DEFAULT_MODEL = "mbgnbd"
COLUMNS = {
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
}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name, dtype in COLUMNS.items():
        if dtype != "object":
            frame[name] = frame[name].astype(dtype)
    return frame


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.clv import ClvFitError, choose_model, compare_models, holdout_observations

    holdout_weeks = float(dbt.config.get("clv_holdout_weeks"))
    min_customers = int(dbt.config.get("clv_min_customers_to_fit"))
    min_repeat = int(dbt.config.get("clv_min_repeat_customers_to_fit"))
    pinned = dbt.config.get("clv_purchase_model") or None
    as_of = dbt.ref("int_as_of_date").df()
    as_of_date = pd.Timestamp(as_of["as_of_date"].iloc[0])
    calibration_end = as_of_date - pd.Timedelta(days=round(7 * holdout_weeks))
    days = (
        dbt.ref("int_customer_purchase_days")
        .order("customer_id, purchase_date")
        .df()[["customer_id", "purchase_date", "purchase_number"]]
    )
    common = {
        "as_of_date": as_of_date.date(),
        "calibration_end_date": calibration_end.date(),
        "holdout_weeks": holdout_weeks,
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
        return _frame(
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
    return _frame(rows)
