"""Per-customer predictions from this build's purchase model and Gamma-Gamma fit.

One row per customer with at least one purchase, when the models were
fitted (int_clv_model_fit.status = 'fitted'); no rows otherwise.

  expected spend per purchase  Gamma-Gamma, fitted on spend (net revenue) per
                               purchase day: the customer's mean repeat spend
                               shrunk to the population's; without a repeat
                               purchase, the population mean
  expected margin per purchase expected spend x the customer's margin rate
                               (gross margin / net revenue of their purchases)
                               - their mean order cost to serve per purchase day
  potential value              the purchase model's discounted purchases over
                               the horizon x expected margin per purchase

The method column says how each number was made:

  model_gamma_gamma_spend      repeat customer, own spend shrunk by Gamma-Gamma
  model_population_spend       no repeat purchase yet: the population mean spend
  negative_margin_after_cost_to_serve
                               the expected purchases lose money after product
                               cost and cost to serve: the potential value is
                               below zero, and this is why
"""

import numpy as np
import pandas as pd

WEEKS_PER_MONTH = 52.1775 / 12


def _purchase_fit(fit_row):
    from orchestration.clv import BgNbdFit, MbgNbdFit, ParetoNbdFit

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


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration import clv

    horizon_months = int(dbt.config.get("clv_horizon_months"))
    annual_rate = float(dbt.config.get("clv_annual_discount_rate"))
    fit_row = dbt.ref("int_clv_model_fit").df().iloc[0]
    summary = dbt.ref("int_customers_clv_summary").df()
    columns = [
        "customer_id",
        "potential_value_method",
        "probability_active",
        "expected_purchases",
        "expected_spend_per_purchase",
        "expected_margin_per_purchase",
        "potential_value",
    ]
    if fit_row["status"] != "fitted" or summary.empty:
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in columns}).astype(
            {"customer_id": "string", "potential_value_method": "string"}
        )

    purchase_fit = _purchase_fit(fit_row)
    gamma_gamma = clv.GammaGammaFit.from_parameters(
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
        clv.expected_average_value(gamma_gamma, frequency, np.where(has_repeat, own_spend, 1.0)),
        clv.expected_average_value(gamma_gamma, 0.0, 0.0),
    )
    margin = spend * margin_rate - cost_to_serve
    method = np.where(
        margin <= 0,
        "negative_margin_after_cost_to_serve",
        np.where(has_repeat, "model_gamma_gamma_spend", "model_population_spend"),
    )
    value, purchases = clv.discounted_value_of_purchases(
        purchase_fit,
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
            "probability_active": clv.probability_alive(purchase_fit, frequency, recency, age),
            "expected_purchases": purchases,
            "expected_spend_per_purchase": spend,
            "expected_margin_per_purchase": margin,
            "potential_value": value,
        }
    )
