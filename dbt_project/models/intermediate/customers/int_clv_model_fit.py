"""Fit BG/NBD and Gamma-Gamma on the per-customer summary (one row: this build's fit).

The estimators live in the Python package orchestration.clv (tested against
the reference implementation there); this model only feeds them the summary
and records the result. With fewer customers than var
clv_min_customers_to_fit (or fewer repeat customers than
var clv_min_repeat_customers_to_fit) nothing is fitted and the row says so:
customer_lifetime_value then uses the simple estimate for everyone. A fit
that does not converge or gives absurd parameters fails the build. When
customers barely differ in their dropout probability, BG/NBD's best fit is
its limit a, b -> infinity (bgnbd_dropout_model = same_for_everyone): a and b
are then null and bgnbd_dropout_probability is everyone's.
"""

import time

import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.clv import fit_bgnbd, fit_gamma_gamma

    min_customers = int(dbt.config.get("clv_min_customers_to_fit"))
    min_repeat_customers = int(dbt.config.get("clv_min_repeat_customers_to_fit"))
    # In customer order: the table's row order is not defined, and sums taken in
    # another order move the optimum in the 7th digit from one build to the next.
    summary = dbt.ref("int_customers_clv_summary").order("customer_id").df()
    repeat = summary[(summary["frequency"] > 0) & (summary["mean_repeat_margin"] > 0)]
    as_of_date = summary["as_of_date"].max() if len(summary) else None

    row = {
        "as_of_date": as_of_date,
        "count_customers": len(summary),
        "count_repeat_customers": int((summary["frequency"] > 0).sum()),
        "count_gamma_gamma_customers": len(repeat),
        "status": "fitted",
        "status_message": "",
        "bgnbd_r": None,
        "bgnbd_alpha": None,
        "bgnbd_a": None,
        "bgnbd_b": None,
        "bgnbd_dropout_model": None,
        "bgnbd_dropout_probability": None,
        "bgnbd_log_likelihood": None,
        "gamma_gamma_p": None,
        "gamma_gamma_q": None,
        "gamma_gamma_v": None,
        "gamma_gamma_log_likelihood": None,
        "fit_seconds": 0.0,
    }
    if len(summary) < min_customers or len(repeat) < min_repeat_customers:
        row["status"] = "not_fitted_too_few_customers"
        row["status_message"] = (
            f"{len(summary)} customers ({len(repeat)} with repeat purchases and a positive "
            f"margin); the models need at least {min_customers} "
            f"(var clv_min_customers_to_fit) and {min_repeat_customers} "
            "(var clv_min_repeat_customers_to_fit). Every customer uses the simple estimate."
        )
    else:
        started = time.perf_counter()
        bgnbd = fit_bgnbd(
            summary["frequency"].to_numpy(dtype=float),
            summary["recency_weeks"].to_numpy(dtype=float),
            summary["age_weeks"].to_numpy(dtype=float),
        )
        gamma_gamma = fit_gamma_gamma(
            repeat["frequency"].to_numpy(dtype=float),
            repeat["mean_repeat_margin"].to_numpy(dtype=float),
        )
        row.update(
            bgnbd_r=bgnbd.r,
            bgnbd_alpha=bgnbd.alpha,
            # a = b = infinity: every customer drops out with the same probability.
            bgnbd_a=None if bgnbd.same_dropout_for_everyone else bgnbd.a,
            bgnbd_b=None if bgnbd.same_dropout_for_everyone else bgnbd.b,
            bgnbd_dropout_model="same_for_everyone" if bgnbd.same_dropout_for_everyone else "beta",
            bgnbd_dropout_probability=bgnbd.p,
            bgnbd_log_likelihood=bgnbd.log_likelihood,
            gamma_gamma_p=gamma_gamma.p,
            gamma_gamma_q=gamma_gamma.q,
            gamma_gamma_v=gamma_gamma.v,
            gamma_gamma_log_likelihood=gamma_gamma.log_likelihood,
            fit_seconds=time.perf_counter() - started,
        )
    frame = pd.DataFrame([row])
    float_columns = [
        name
        for name in row
        if name.startswith(("bgnbd_", "gamma_gamma_")) and name != "bgnbd_dropout_model"
    ]
    frame[float_columns] = frame[float_columns].astype("float64")
    frame["bgnbd_dropout_model"] = frame["bgnbd_dropout_model"].astype("string")
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame
