"""Holdout validation of the purchase models, and the choice of the one the marts use.

The purchase days up to the fit date (var clv_refit_cadence: the as-of date,
the Monday of its week or the first of its month) are split at the
calibration end, the fit date minus var clv_holdout_weeks. Each candidate
model (BG/NBD, MBG/NBD, Pareto/NBD) is fitted on the customers who had
bought by then, on their calibration history, and predicts their repeat
purchases in the holdout weeks that follow; orchestration.clv.validation
compares that with what they did: per calibration-frequency bucket (0, 1,
..., 7+), week by week (and cumulated), and per customer (mean absolute
error, root mean squared error, total bias). The model with the lowest
holdout mean squared error is chosen unless var clv_purchase_model pins one;
with too little history the validation is skipped and says why. One long
table: comparison is summary (one row per model), frequency_bucket or week.

A build whose inputs (fit date, vars, purchase days up to the fit date) are
those of the table as the last build left it keeps that table: the holdout
validation runs only when the models are refitted. The body reads the inputs
and that table, then calls orchestration.clv.tables.model_validation (pandas
in, pandas out, no engine call), the one code path for its maths.
"""

from orchestration.clv.dbt_inputs import previous_table, purchase_days
from orchestration.clv.tables import ClvConfig, model_validation


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
    previous = previous_table(dbt, session)
    return model_validation(as_of_date, days, clv_config(dbt), previous)
