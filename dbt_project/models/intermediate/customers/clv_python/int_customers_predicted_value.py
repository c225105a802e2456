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

The body is one call to orchestration.clv.tables.predicted_value (pandas in,
pandas out, no engine call), the one code path for its maths.
"""

from orchestration.clv.tables import ClvConfig, predicted_value


def clv_config(dbt):
    """The vars (the model's config in its YAML); dbt passes those it sees called by name."""
    return ClvConfig.from_values(
        min_customers_to_fit=dbt.config.get("clv_min_customers_to_fit"),
        min_repeat_customers_to_fit=dbt.config.get("clv_min_repeat_customers_to_fit"),
        holdout_weeks=dbt.config.get("clv_holdout_weeks"),
        purchase_model=dbt.config.get("clv_purchase_model"),
        horizon_months=dbt.config.get("clv_horizon_months"),
        annual_discount_rate=dbt.config.get("clv_annual_discount_rate"),
        refit_cadence=dbt.config.get("clv_refit_cadence"),
    )


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customers_clv_summary").df()
    fit = dbt.ref("int_clv_model_fit").df()
    return predicted_value(summary, fit, clv_config(dbt))
