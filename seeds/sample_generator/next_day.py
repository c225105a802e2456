"""The next day of a company's export: new orders, late arrivals, status changes, new customers.

Written as extra files beside an existing raw folder (`orders_<day>.csv`,
`order_lines_<day>.csv`, `customers_<day>.csv`, `consent_events_<day>.csv`,
or `.parquet`), as a nightly export would drop them, so a refresh sees only
what changed:

- new orders placed on the day by existing customers;
- late arrivals: orders placed up to `late_days` days before the day that
  reach the export only now;
- status changes: a share of the completed orders of the last `lookback_days`
  days, plus one order 30 to 90 days old, exported again with status
  `returned` and updated_at on the day (they supersede the earlier row);
- new customers who sign up and order on the day;
- a customer exported a day late: their order comes today (quarantined as
  unknown_customer until the customer arrives), their customer row tomorrow;
- a conflicting re-export: one order exported again twice with the same
  updated_at and different channels, so the order becomes quarantined
  (`conflicting_versions`) after having been valid;
- consent changes: customers who unsubscribe on the day.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sample_generator.generator import COLUMNS, PRODUCT_LINES


def _read(raw_dir: Path, table: str, file_format: str, columns: list[str]) -> pd.DataFrame:
    paths = sorted(raw_dir.glob(f"{table}*.{file_format}"))
    if file_format == "parquet":
        frames = [pd.read_parquet(path, columns=columns).fillna("").astype(str) for path in paths]
    else:
        frames = [
            pd.read_csv(path, dtype=str, keep_default_na=False, usecols=columns) for path in paths
        ]
    return pd.concat(frames, ignore_index=True)


def _write(frame: pd.DataFrame, raw_dir: Path, table: str, day: date, file_format: str) -> None:
    path = raw_dir / f"{table}_{day:%Y-%m-%d}.{file_format}"
    if file_format == "parquet":
        frame.astype("string").to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _late_customer_id(day: date) -> str:
    return f"L{day:%Y%m%d}"


def next_day(
    raw_dir: Path,
    day: date,
    *,
    seed: int = 0,
    new_order_share: float = 0.01,
    late_share: float = 0.2,
    late_days: int = 3,
    status_change_share: float = 0.1,
    lookback_days: int = 14,
    unsubscribe_share: float = 0.002,
    new_customer_share: float = 0.001,
    file_format: str = "csv",
) -> dict[str, int]:
    """Write the day's files into raw_dir; return how many rows of each kind."""
    rng = np.random.default_rng([seed, day.toordinal()])
    customers = _read(raw_dir, "customers", file_format, COLUMNS["customers"])
    customer_ids = customers.loc[customers["customer_id"] != "", "customer_id"].drop_duplicates()
    customer_ids = customer_ids[~customer_ids.str.startswith("L")]
    orders = _read(raw_dir, "orders", file_format, COLUMNS["orders"])
    stamp_of = pd.Timestamp(day)

    # New customers: copies of random existing profiles under new ids, created
    # on the day; they order on the day below. Yesterday's late customer
    # arrives today.
    profiles = customers[customers["customer_id"].isin(customer_ids)].drop_duplicates("customer_id")
    signups = profiles.sample(
        n=max(1, round(len(customer_ids) * new_customer_share)),
        random_state=rng.integers(2**31),
    ).copy()
    signups["customer_id"] = [f"S{day:%Y%m%d}{number:05d}" for number in range(len(signups))]
    signups["created_at"] = f"{day:%Y-%m-%d} 08:00:00"
    signups["referred_by_customer_id"] = ""
    late_customer = signups.iloc[:1].copy()
    late_customer["customer_id"] = _late_customer_id(day - timedelta(days=1))
    late_customer["created_at"] = f"{day - timedelta(days=1):%Y-%m-%d} 08:00:00"

    buyers = np.concatenate(
        [
            customer_ids.sample(
                n=max(1, round(len(customer_ids) * new_order_share)),
                random_state=rng.integers(2**31),
            ).to_numpy(),
            signups["customer_id"].to_numpy(),
            [_late_customer_id(day)],
        ]
    )
    late = rng.random(len(buyers)) < late_share
    ordered = (
        stamp_of
        - pd.to_timedelta(np.where(late, rng.integers(1, late_days + 1, len(buyers)), 0), unit="D")
        + pd.to_timedelta(rng.integers(8 * 3600, 22 * 3600, len(buyers)), unit="s")
    )
    ordered_text = ordered.strftime("%Y-%m-%d %H:%M:%S")
    order_ids = [f"N{day:%Y%m%d}{number:07d}" for number in range(len(buyers))]
    new_orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": buyers,
            "ordered_at": ordered_text,
            "status": "completed",
            "channel": rng.choice(["online", "store", "phone", "partner"], len(buyers)),
            "updated_at": ordered_text,
        },
        columns=COLUMNS["orders"],
    )
    product = rng.integers(0, len(PRODUCT_LINES), len(buyers))
    price = np.round([PRODUCT_LINES[i][3] for i in product] * rng.uniform(0.9, 1.1, len(buyers)), 2)
    new_lines = pd.DataFrame(
        {
            "order_line_id": [f"{order_id}-1" for order_id in order_ids],
            "order_id": order_ids,
            "product_id": [f"P{i + 1:03d}" for i in product],
            "quantity": rng.integers(1, 4, len(buyers)).astype(str),
            "unit_price": np.char.mod("%.2f", price),
            "unit_cost": np.char.mod("%.2f", np.round(price * 0.55, 2)),
            "discount_amount": "0.00",
        },
        columns=COLUMNS["order_lines"],
    )

    # Status changes: recent completed orders (latest version of each) returned today.
    latest = orders.sort_values("updated_at").drop_duplicates("order_id", keep="last")
    ordered_at = pd.to_datetime(latest["ordered_at"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    recent = latest[
        (latest["status"] == "completed")
        & (ordered_at >= stamp_of - pd.Timedelta(days=lookback_days))
        & (ordered_at < stamp_of)
    ]
    old = latest[
        (latest["status"] == "completed")
        & (ordered_at >= stamp_of - pd.Timedelta(days=90))
        & (ordered_at < stamp_of - pd.Timedelta(days=30))
    ]
    changed = pd.concat(
        [
            recent.sample(
                n=min(len(recent), max(1, round(len(recent) * status_change_share))),
                random_state=rng.integers(2**31),
            ),
            old.sample(n=min(len(old), 1), random_state=rng.integers(2**31)),
        ]
    ).sort_values("order_id")
    changed = changed.assign(status="returned", updated_at=f"{day:%Y-%m-%d} 18:00:00")

    # A conflicting re-export: an older order (not one changed above) twice,
    # same updated_at, different channels.
    candidates = latest[
        ~latest["order_id"].isin(changed["order_id"])
        & (ordered_at < stamp_of - pd.Timedelta(days=lookback_days))
        & ~latest["order_id"].str.startswith("N")
    ]
    conflicting = candidates.sample(n=min(len(candidates), 1), random_state=rng.integers(2**31))
    conflicting = pd.concat(
        [
            conflicting.assign(channel="store"),
            conflicting.assign(channel="phone"),
        ]
    ).assign(updated_at=f"{day:%Y-%m-%d} 19:00:00")

    leavers = customer_ids.sample(
        n=max(1, round(len(customer_ids) * unsubscribe_share)), random_state=rng.integers(2**31)
    ).to_numpy()
    consent = pd.DataFrame(
        {
            "consent_event_id": [f"U{day:%Y%m%d}{number:06d}" for number in range(len(leavers))],
            "customer_id": leavers,
            "consent": "opt_out",
            "recorded_at": f"{day:%Y-%m-%d} 12:00:00",
            "channel": "email_link",
        },
        columns=COLUMNS["consent_events"],
    )

    day_orders = pd.concat(
        [new_orders, changed[COLUMNS["orders"]], conflicting[COLUMNS["orders"]]],
        ignore_index=True,
    )
    _write(day_orders, raw_dir, "orders", day, file_format)
    _write(new_lines, raw_dir, "order_lines", day, file_format)
    _write(
        pd.concat([signups, late_customer])[COLUMNS["customers"]],
        raw_dir,
        "customers",
        day,
        file_format,
    )
    _write(consent, raw_dir, "consent_events", day, file_format)
    return {
        "new_orders": int((~late).sum()),
        "late_orders": int(late.sum()),
        "status_changes": len(changed),
        "new_customers": len(signups),
        "conflicting_orders": len(conflicting) // 2,
        "unsubscribes": len(leavers),
    }


def next_days(
    raw_dir: Path, first_day: date, days: int, seed: int = 0, file_format: str = "csv"
) -> list[dict[str, int]]:
    """The next `days` days, one after another."""
    return [
        next_day(raw_dir, first_day + timedelta(days=n), seed=seed, file_format=file_format)
        for n in range(days)
    ]
