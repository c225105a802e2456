"""Fit the chosen purchase model and Gamma-Gamma on the per-customer summary (one row).

The purchase model (BG/NBD, MBG/NBD or Pareto/NBD) is the one
int_clv_model_validation chose: the lowest holdout error, or the one var
clv_purchase_model pins; choice_reason says which and why. Gamma-Gamma is
fitted, as the literature defines it, on the mean spend (net revenue) per
repeat purchase day of repeat customers; margin and cost to serve are
applied afterwards (int_customers_predicted_value). The estimators live in
orchestration.clv (tested against the reference implementation there).

With fewer customers than var clv_min_customers_to_fit (or fewer repeat
customers than var clv_min_repeat_customers_to_fit) nothing is fitted and the
row says so: customer_lifetime_value then uses the simple estimate for
everyone. A fit that does not converge or gives absurd parameters fails the
build. When customers barely differ in their dropout probability, BG/NBD's
and MBG/NBD's best fit is the limit a, b -> infinity (dropout_model =
same_for_everyone): a and b are then null and dropout_probability is
everyone's.
"""

import time

import pandas as pd


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


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.clv import fit_gamma_gamma, fit_purchase_model

    min_customers = int(dbt.config.get("clv_min_customers_to_fit"))
    min_repeat_customers = int(dbt.config.get("clv_min_repeat_customers_to_fit"))
    # In customer order: the table's row order is not defined, and sums taken in
    # another order move the optimum in the 7th digit from one build to the next.
    summary = dbt.ref("int_customers_clv_summary").order("customer_id").df()
    validation = dbt.ref("int_clv_model_validation").df()
    chosen = validation[(validation["comparison"] == "summary") & validation["is_chosen"]].iloc[0]
    repeat = summary[(summary["frequency"] > 0) & (summary["mean_repeat_spend"] > 0)]
    as_of_date = summary["as_of_date"].max() if len(summary) else None

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
    frame = pd.DataFrame([row])
    text_columns = ["status", "status_message", "purchase_model", "purchase_model_reason"]
    text_columns.append("dropout_model")
    float_columns = [
        name
        for name in row
        if name.startswith(("purchase_model_", "dropout_probability", "gamma_gamma_"))
        and name not in text_columns
    ]
    frame[float_columns] = frame[float_columns].astype("float64")
    frame[text_columns] = frame[text_columns].astype("string")
    count_columns = ["count_customers", "count_repeat_customers", "count_gamma_gamma_customers"]
    frame[count_columns] = frame[count_columns].astype("int32")
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame
