"""Simulate how customers answer a campaign wave, with a known true uplift.

Given a wave's contact history (customer_id, assignment), every customer buys
within the conversion window with probability base_rate, and a treatment
customer with base_rate + uplift. The purchases are written as extra raw
files (orders_campaign_response.csv, order_lines_campaign_response.csv) so a
rebuild of the marts sees them and campaign_effect can be checked against the
uplift that was planted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sample_generator.generator import COLUMNS


def simulate_campaign_responses(
    contacts: pd.DataFrame,
    raw_dir: Path,
    wave_date: date,
    *,
    window_days: int = 30,
    base_rate: float = 0.2,
    uplift: float = 0.1,
    seed: int = 0,
    product_id: str = "P001",
    unit_price: float = 100.0,
) -> int:
    """Write the response orders into raw_dir; return how many customers bought."""
    rng = np.random.default_rng(seed)
    rate = np.where(contacts["assignment"].to_numpy() == "treatment", base_rate + uplift, base_rate)
    buys = rng.random(len(contacts)) < rate
    buyers = contacts["customer_id"].to_numpy()[buys]
    days = rng.integers(1, window_days + 1, len(buyers))
    moments = pd.Timestamp(wave_date) + pd.to_timedelta(days, unit="D") + pd.Timedelta(hours=12)
    order_ids = [f"RESP{number:08d}" for number in range(len(buyers))]
    stamps = moments.strftime("%Y-%m-%d %H:%M:%S")
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": buyers,
            "ordered_at": stamps,
            "status": "completed",
            "channel": "online",
            "updated_at": stamps,
        },
        columns=COLUMNS["orders"],
    )
    lines = pd.DataFrame(
        {
            "order_line_id": [f"{order_id}-1" for order_id in order_ids],
            "order_id": order_ids,
            "product_id": product_id,
            "quantity": "1",
            "unit_price": f"{unit_price:.2f}",
            "unit_cost": f"{unit_price * 0.5:.2f}",
            "discount_amount": "0.00",
        },
        columns=COLUMNS["order_lines"],
    )
    orders.to_csv(raw_dir / "orders_campaign_response.csv", index=False)
    lines.to_csv(raw_dir / "order_lines_campaign_response.csv", index=False)
    return len(buyers)
