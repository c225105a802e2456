"""Holdout observations (validation.HoldoutObservations) from purchase days, with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.clv.validation import HoldoutObservations


def holdout_observations(
    days: pd.DataFrame, calibration_end, as_of_date, holdout_weeks: float
) -> HoldoutObservations:
    """HoldoutObservations from one row per customer and purchase day.

    days: columns customer_id, purchase_date and purchase_number (1 for the
    customer's first purchase day). Customers whose first purchase is after
    calibration_end are left out; purchase days after as_of_date are ignored.
    """
    days = days.assign(purchase_date=pd.to_datetime(days["purchase_date"]))
    end, as_of = pd.Timestamp(calibration_end), pd.Timestamp(as_of_date)
    first = days.groupby("customer_id")["purchase_date"].min()
    customers = first[first <= end].index
    days = days[days["customer_id"].isin(customers) & (days["purchase_date"] <= as_of)]
    calibration = days[days["purchase_date"] <= end].groupby("customer_id")["purchase_date"]
    frequency = calibration.count() - 1
    recency = (calibration.max() - calibration.min()).dt.days / 7.0
    age = (end - first[customers]).dt.days / 7.0
    holdout = (
        days[days["purchase_date"] > end]
        .groupby("customer_id")["purchase_date"]
        .count()
        .reindex(customers, fill_value=0)
    )
    repeats = days[days["purchase_number"] > 1]
    since_end = (repeats["purchase_date"] - end).dt.days
    week_index = np.floor((since_end - 1) / 7).astype(np.int64)
    weekly = week_index.value_counts().sort_index()
    return HoldoutObservations(
        frequency=frequency.reindex(customers).to_numpy(dtype=float),
        recency=recency.reindex(customers).to_numpy(dtype=float),
        age=age.to_numpy(dtype=float),
        holdout_purchases=holdout.to_numpy(dtype=float),
        holdout_weeks=holdout_weeks,
        week_index=weekly.index.to_numpy(dtype=np.int64),
        count_repeat_purchases=weekly.to_numpy(dtype=float),
    )
