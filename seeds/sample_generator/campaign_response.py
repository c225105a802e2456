"""Simulate how customers answer a campaign wave, with a known true uplift.

Given a wave's contact history (customer_id, assignment), every customer buys
within the conversion window with probability base_rate, and a treatment
customer with base_rate + uplift. The purchases are raw orders and order
lines, so a rebuild of the marts sees them and campaign_effect can be checked
against the uplift that was planted.

The bundled sample carries two such earlier waves (plant_earlier_waves): the
contact history in contact_history.csv, the responses in
orders_after_campaigns.csv and order_lines_after_campaigns.csv, and the
planted uplift in _truth/planted_campaign_uplift.csv.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.campaigns.engine import HISTORY_COLUMNS
from sample_generator.generator import COLUMNS

# The earlier waves planted in the sample: (wave date, campaign, priority,
# channel), as the campaigns are configured. Both windows of 30 days end
# before the sample's last day, 2026-10-31.
EARLIER_WAVES = (
    (date(2026, 6, 1), "latent_loyalty_convenience", 4, "sms"),
    (date(2026, 7, 6), "win_back_high_value", 2, "phone"),
)
WAVE_SIZE = 1000
# Who the earlier waves contacted: customers whose planted pattern one more
# purchase does not blur (no cycle, no loyalty class built on how rarely
# they buy, not churned).
WAVE_ARCHETYPES = ("occasional", "true_loyal", "spurious_loyal")
PLANTED_UPLIFT = 0.10
PLANTED_BASE_RATE = 0.20
RESPONSE_PRODUCT = "P016"  # children's books: no usage cycle, so no replacement falls due
RESPONSE_PRICE = 100.0
WINDOW_DAYS = 30


def response_orders(
    contacts: pd.DataFrame,
    wave_date: date,
    *,
    window_days: int = WINDOW_DAYS,
    base_rate: float = PLANTED_BASE_RATE,
    uplift: float = PLANTED_UPLIFT,
    seed: int = 0,
    product_id: str = "P001",
    unit_price: float = RESPONSE_PRICE,
    order_prefix: str = "RESP",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw orders and order lines of the customers who answer the wave."""
    rng = np.random.default_rng(seed)
    rate = np.where(contacts["assignment"].to_numpy() == "treatment", base_rate + uplift, base_rate)
    buys = rng.random(len(contacts)) < rate
    buyers = contacts["customer_id"].to_numpy()[buys]
    days = rng.integers(1, window_days + 1, len(buyers))
    moments = pd.Timestamp(wave_date) + pd.to_timedelta(days, unit="D") + pd.Timedelta(hours=12)
    order_ids = [f"{order_prefix}{number:08d}" for number in range(len(buyers))]
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
    return orders, lines


def simulate_campaign_responses(
    contacts: pd.DataFrame, raw_dir: Path, wave_date: date, **options: object
) -> int:
    """Write the response orders into raw_dir; return how many customers bought."""
    orders, lines = response_orders(contacts, wave_date, **options)
    orders.to_csv(raw_dir / "orders_campaign_response.csv", index=False)
    lines.to_csv(raw_dir / "order_lines_campaign_response.csv", index=False)
    return len(orders)


def plant_earlier_waves(out_dir: Path, seed: int) -> dict[str, int]:
    """Add two earlier campaign waves and their responses to a generated CSV export.

    Each wave contacts up to WAVE_SIZE customers, half held out. To leave the
    rest of the planted structure as it was, they are customers of
    WAVE_ARCHETYPES who bought nothing in the wave's window but bought after
    it (so their last purchase stays the same), each in one wave only.
    Treatment customers then buy with probability PLANTED_BASE_RATE +
    PLANTED_UPLIFT, held-out ones with PLANTED_BASE_RATE: the measured
    uplift's interval should contain PLANTED_UPLIFT.
    """
    rng = np.random.default_rng([seed, 18])
    truth = pd.read_csv(out_dir / "_truth" / "planted_customers.csv", dtype=str)
    orders = pd.read_csv(out_dir / "orders.csv", dtype=str, usecols=["customer_id", "ordered_at"])
    ordered = pd.to_datetime(orders["ordered_at"], errors="coerce", format="mixed").dt.date
    steady = set(truth.loc[truth["archetype"].isin(WAVE_ARCHETYPES), "customer_id"])
    used: set[str] = set()
    history, response_frames = [], []
    for number, (wave_date, campaign, priority, channel) in enumerate(EARLIER_WAVES):
        window_end = wave_date + timedelta(days=WINDOW_DAYS)
        in_window = set(orders.loc[(ordered > wave_date) & (ordered <= window_end), "customer_id"])
        after = set(orders.loc[ordered > window_end, "customer_id"])
        eligible = sorted((steady & after) - in_window - used)
        chosen = sorted(rng.choice(eligible, size=min(WAVE_SIZE, len(eligible)), replace=False))
        used |= set(chosen)
        assignment = np.where(
            rng.permutation(len(chosen)) < len(chosen) // 2, "holdout", "treatment"
        )
        contacts = pd.DataFrame(
            {
                "campaign": campaign,
                "wave_date": wave_date.isoformat(),
                "customer_id": chosen,
                "assignment": assignment,
                "priority": priority,
                "as_of_date": (wave_date - timedelta(days=1)).isoformat(),
                "channel": channel,
            },
            columns=HISTORY_COLUMNS,
        )
        history.append(contacts)
        response_frames.append(
            response_orders(
                contacts,
                wave_date,
                seed=seed + number,
                product_id=RESPONSE_PRODUCT,
                order_prefix=f"RESP{wave_date:%Y%m%d}",
            )
        )
    contact_history = pd.concat(history, ignore_index=True)
    response = pd.concat([frame for frame, _ in response_frames], ignore_index=True)
    lines = pd.concat([frame for _, frame in response_frames], ignore_index=True)
    contact_history.to_csv(out_dir / "contact_history.csv", index=False, lineterminator="\n")
    response.to_csv(out_dir / "orders_after_campaigns.csv", index=False, lineterminator="\n")
    lines.to_csv(out_dir / "order_lines_after_campaigns.csv", index=False, lineterminator="\n")
    pd.DataFrame(
        {
            "campaign": [campaign for _, campaign, _, _ in EARLIER_WAVES],
            "wave_date": [wave_date.isoformat() for wave_date, _, _, _ in EARLIER_WAVES],
            "window_days": WINDOW_DAYS,
            "base_rate": PLANTED_BASE_RATE,
            "conversion_uplift": PLANTED_UPLIFT,
            "revenue_per_response": RESPONSE_PRICE,
        }
    ).to_csv(out_dir / "_truth" / "planted_campaign_uplift.csv", index=False, lineterminator="\n")
    return {"contact_history": len(contact_history), "orders_after_campaigns": len(response)}
