"""Fit the chosen purchase model and Gamma-Gamma on the per-customer summary (one row).

The summary is taken as of the fit date (var clv_refit_cadence: the as-of
date, the Monday of its week or the first of its month) from
int_customer_purchase_days. A build whose inputs (fit date, vars, purchase
days up to the fit date) are those of the row this table holds keeps that
row (is_refitted false) instead of fitting again.

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

The body reads the inputs and this table as the last build left it, then
calls orchestration.clv.tables.model_fit (pandas in, pandas out, no engine
call), the one code path for its maths.
"""

from orchestration.clv.dbt_inputs import previous_table, purchase_days
from orchestration.clv.tables import ClvConfig, model_fit


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
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    days = purchase_days(dbt.ref("int_customer_purchase_days"))
    validation = dbt.ref("int_clv_model_validation").df()
    previous = previous_table(dbt, session)
    return model_fit(as_of_date, days, validation, clv_config(dbt), previous)
