"""Per-customer predictions from this build's BG/NBD and Gamma-Gamma fit.

One row per customer with at least one purchase, when the models were
fitted (int_clv_model_fit.status = 'fitted'); no rows otherwise. The method
column says how each number was made:

  bgnbd_gamma_gamma        BG/NBD purchases x Gamma-Gamma margin per purchase
  bgnbd_population_margin  no repeat purchase yet: Gamma-Gamma's population
                           mean margin
  bgnbd_own_margin         repeat purchases with a margin <= 0, which
                           Gamma-Gamma cannot model: the customer's own mean
"""

import numpy as np
import pandas as pd

WEEKS_PER_MONTH = 52.1775 / 12


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.clv import (
        BgNbdFit,
        GammaGammaFit,
        discounted_value_of_purchases,
        expected_average_value,
        probability_alive,
    )

    horizon_months = int(dbt.config.get("clv_horizon_months"))
    annual_rate = float(dbt.config.get("clv_annual_discount_rate"))
    fit_row = dbt.ref("int_clv_model_fit").df().iloc[0]
    summary = dbt.ref("int_customers_clv_summary").df()
    columns = [
        "customer_id",
        "potential_value_method",
        "probability_active",
        "expected_purchases",
        "expected_margin_per_purchase",
        "potential_value",
    ]
    if fit_row["status"] != "fitted" or summary.empty:
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in columns}).astype(
            {"customer_id": "string", "potential_value_method": "string"}
        )

    bgnbd = BgNbdFit.from_parameters(
        r=fit_row["bgnbd_r"],
        alpha=fit_row["bgnbd_alpha"],
        a=fit_row["bgnbd_a"],
        b=fit_row["bgnbd_b"],
        p=fit_row["bgnbd_dropout_probability"],
    )
    gamma_gamma = GammaGammaFit.from_parameters(
        p=fit_row["gamma_gamma_p"], q=fit_row["gamma_gamma_q"], v=fit_row["gamma_gamma_v"]
    )
    frequency = summary["frequency"].to_numpy(dtype=float)
    recency = summary["recency_weeks"].to_numpy(dtype=float)
    age = summary["age_weeks"].to_numpy(dtype=float)
    own_margin = summary["mean_repeat_margin"].to_numpy(dtype=float)

    has_positive_repeat_margin = (frequency > 0) & (own_margin > 0)
    margin = np.where(
        has_positive_repeat_margin,
        expected_average_value(gamma_gamma, frequency, np.where(own_margin > 0, own_margin, 1.0)),
        np.where(frequency > 0, own_margin, expected_average_value(gamma_gamma, 0.0, 0.0)),
    )
    method = np.where(
        has_positive_repeat_margin,
        "bgnbd_gamma_gamma",
        np.where(frequency > 0, "bgnbd_own_margin", "bgnbd_population_margin"),
    )
    value, purchases = discounted_value_of_purchases(
        bgnbd,
        frequency,
        recency,
        age,
        margin_per_purchase=margin,
        horizon_periods_per_month=WEEKS_PER_MONTH,
        horizon_months=horizon_months,
        annual_discount_rate=annual_rate,
    )
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].astype("string"),
            "potential_value_method": pd.Series(method, dtype="string"),
            "probability_active": probability_alive(bgnbd, frequency, recency, age),
            "expected_purchases": purchases,
            "expected_margin_per_purchase": margin,
            "potential_value": value,
        }
    )
