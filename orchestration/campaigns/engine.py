"""One campaign wave: eligibility rules, frequency cap, size cap and holdout (pure pandas).

For each campaign, in priority order, the audience is narrowed step by step
and the number removed at each step is recorded:

1. held back     customers with a consent event or suppression that could
                 not be trusted (marketing_consent held_back, resolved in
                 dbt): consent fails closed; counted by reason;
2. consent       only customers whose consent holds as opt_in on the wave
                 date (the latest answer wins, opt-out wins ties: resolved in
                 dbt, restricted.customer_contacts);
3. suppression   customers under an active suppression on the wave date
                 (do not contact, bounced, complaint handling) are removed;
4. frequency cap a customer is in at most one campaign per
                 frequency_cap_days: anyone in another wave of the window, or
                 already given to a higher-priority campaign in this wave, is
                 removed;
5. size cap      the max_customers most valuable remain.

Then the control groups are marked, both stable for a holdout period
(holdout_period_days, counted in whole periods from 1970-01-01), so a
customer held out in one wave is held out in every wave of the period:

- global control (optional, global_control_share): a share of all customers
  that no campaign contacts in the period; hash(seed, "global_control",
  period start, customer) below the share;
- holdout: per campaign, hash(seed, campaign, period start, customer) below
  the campaign's holdout share.

Re-running a wave gives the same lists. Only customers actually contacted
(treatment) count towards the frequency cap of later waves; within a wave a
customer belongs to one campaign, held out or not, so nobody held out of one
campaign is contacted by another in the same wave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from orchestration.campaigns.config import Campaign, CampaignSettings

STEPS = ("audience", "held_back", "consent", "suppression", "frequency_cap", "size_cap")
HELD_BACK = "held_back"
# held_back_reasons in restricted.customer_contacts: sorted, separated by this.
REASON_SEPARATOR = ", "
UNKNOWN_REASON = "unknown"
# The columns of the dbt model contact_history, in its order (channel came last,
# so existing tables gained it at the end).
HISTORY_COLUMNS = [
    "campaign",
    "wave_date",
    "customer_id",
    "assignment",
    "priority",
    "as_of_date",
    "channel",
]
CONTROL_ASSIGNMENTS = ("holdout", "global_control")
_EPOCH = date(1970, 1, 1)


@dataclass
class WaveList:
    campaign: Campaign
    members: pd.DataFrame
    removed: dict[str, int] = field(default_factory=dict)
    audience_size: int = 0
    held_back_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def count_treatment(self) -> int:
        return int((self.members["assignment"] == "treatment").sum())

    @property
    def count_holdout(self) -> int:
        return int((self.members["assignment"] == "holdout").sum())

    @property
    def count_global_control(self) -> int:
        return int((self.members["assignment"] == "global_control").sum())


def period_start(wave_date: date, period_days: int) -> date:
    """The first day of the holdout period the wave date falls in (periods from 1970-01-01)."""
    return _EPOCH + timedelta(days=(wave_date - _EPOCH).days // period_days * period_days)


def holdout_draw(seed: int, campaign: str, day: date, customer_ids: pd.Series) -> np.ndarray:
    """A uniform number in [0, 1) per customer, fixed by (seed, campaign, day, customer)."""
    prefix = f"{seed}|{campaign}|{day.isoformat()}|"
    return np.array(
        [
            int.from_bytes(hashlib.sha256((prefix + str(cid)).encode()).digest()[:8], "big") / 2**64
            for cid in customer_ids
        ]
    )


def held_back_customers(contacts: pd.DataFrame) -> dict[str, list[str]]:
    """Customers held back from marketing (consent fails closed), each with their reasons."""
    held_back = contacts[contacts["marketing_consent"] == HELD_BACK]
    reasons = (
        held_back["held_back_reasons"]
        if "held_back_reasons" in held_back.columns
        else pd.Series(None, index=held_back.index, dtype=object)
    )
    return {
        str(customer_id): (text.split(REASON_SEPARATOR) if isinstance(text, str) and text else [])
        or [UNKNOWN_REASON]
        for customer_id, text in zip(held_back["customer_id"], reasons, strict=True)
    }


def count_by_reason(
    customer_ids: Iterable[str], reasons_of: dict[str, list[str]]
) -> dict[str, int]:
    """Customers per held-back reason (one with two reasons counts under both), sorted by reason."""
    counts: dict[str, int] = {}
    for customer_id in customer_ids:
        for reason in reasons_of[str(customer_id)]:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def reasons_text(counts: dict[str, int]) -> str:
    """`reason: count` pairs for a summary cell, e.g. `consent_events.invalid_consent: 2`."""
    return "; ".join(f"{reason}: {count}" for reason, count in counts.items())


def active_suppressions(suppressions: pd.DataFrame, wave_date: date) -> set[str]:
    """Customers suppressed on the wave date: suppressed before its end, not lifted by its start."""
    if suppressions.empty:
        return set()
    start = pd.Timestamp(wave_date)
    end = start + pd.Timedelta(days=1)
    suppressed_at = pd.to_datetime(suppressions["suppressed_at"])
    lifted_at = pd.to_datetime(suppressions["lifted_at"])
    active = (suppressed_at < end) & (lifted_at.isna() | (lifted_at > start))
    return set(suppressions.loc[active, "customer_id"])


def recently_contacted(history: pd.DataFrame, wave_date: date, cap_days: int) -> set[str]:
    """Customers contacted (treatment) in another wave within cap_days before the wave date.

    Customers held out were not contacted, so they do not count; this wave's
    own rows do not either (it is being rebuilt).
    """
    if history.empty or cap_days == 0:
        return set()
    wave_dates = pd.to_datetime(history["wave_date"]).dt.date
    window = (wave_dates < wave_date) & (wave_dates > wave_date - timedelta(days=cap_days))
    if "assignment" in history.columns:
        window &= history["assignment"] == "treatment"
    return set(history.loc[window, "customer_id"])


def global_control_group(
    audiences: dict[str, pd.DataFrame], seed: int, period: date, share: float
) -> set[str]:
    """Customers of the global control group in this period (of those any campaign targets).

    The draw depends on the customer only, not the campaign, so the same
    customers are kept out of every campaign for the whole period.
    """
    if share == 0 or not audiences:
        return set()
    customers = pd.concat([frame["customer_id"] for frame in audiences.values()]).drop_duplicates()
    draws = holdout_draw(seed, "global_control", period, customers)
    return set(customers[draws < share])


def build_wave(
    campaigns: list[Campaign],
    audiences: dict[str, pd.DataFrame],
    contacts: pd.DataFrame,
    suppressions: pd.DataFrame,
    history: pd.DataFrame,
    wave_date: date,
    settings: CampaignSettings,
) -> list[WaveList]:
    """The lists of one wave. audiences[name] holds customer_id and total_lifetime_value."""
    held_back = held_back_customers(contacts)
    opted_in = set(contacts.loc[contacts["marketing_consent"] == "opt_in", "customer_id"])
    suppressed = active_suppressions(suppressions, wave_date)
    blocked = recently_contacted(history, wave_date, settings.frequency_cap_days)
    period = period_start(wave_date, settings.holdout_period_days)
    global_control = global_control_group(
        audiences, settings.holdout_seed, period, settings.global_control_share
    )
    taken: set[str] = set()
    lists = []
    for campaign in sorted(campaigns, key=lambda c: (c.priority, c.name)):
        audience = audiences[campaign.name].sort_values(
            ["total_lifetime_value", "customer_id"], ascending=[False, True], kind="stable"
        )
        removed: dict[str, int] = {}
        held_back_by_reason: dict[str, int] = {}
        current = audience
        for step in (HELD_BACK, "consent", "suppression", "frequency_cap"):
            if step == HELD_BACK:
                keep = ~current["customer_id"].astype(str).isin(held_back)
                held_back_by_reason = count_by_reason(current.loc[~keep, "customer_id"], held_back)
            elif step == "consent":
                keep = current["customer_id"].isin(opted_in)
            elif step == "suppression":
                keep = ~current["customer_id"].isin(suppressed)
            else:
                keep = ~current["customer_id"].isin(blocked | taken)
            removed[step] = int((~keep).sum())
            current = current[keep]
        if campaign.max_customers is not None and len(current) > campaign.max_customers:
            removed["size_cap"] = len(current) - campaign.max_customers
            current = current.head(campaign.max_customers)
        else:
            removed["size_cap"] = 0
        members = current.copy()
        draws = holdout_draw(settings.holdout_seed, campaign.name, period, members["customer_id"])
        members["assignment"] = np.where(draws < campaign.holdout_share, "holdout", "treatment")
        members.loc[members["customer_id"].isin(global_control), "assignment"] = "global_control"
        taken |= set(members["customer_id"])
        lists.append(
            WaveList(
                campaign,
                members.reset_index(drop=True),
                removed,
                len(audience),
                held_back_by_reason,
            )
        )
    return lists


def history_rows(
    lists: list[WaveList], wave_date: date, as_of_date: date | None = None
) -> pd.DataFrame:
    """The contact history rows of a wave: one per customer and campaign."""
    frames = [
        pd.DataFrame(
            {
                "campaign": wave.campaign.name,
                "wave_date": wave_date,
                "customer_id": wave.members["customer_id"].astype(str),
                "assignment": wave.members["assignment"],
                "priority": wave.campaign.priority,
                "as_of_date": as_of_date,
                "channel": wave.campaign.channel,
            }
        )
        for wave in lists
    ]
    if not frames:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[HISTORY_COLUMNS]


def summary_rows(
    lists: list[WaveList], wave_date: date, as_of_date: date | None = None
) -> pd.DataFrame:
    """One row per campaign: the audience, what each step removed, and the final list.

    held_back_reasons counts the audience's held-back customers by reason.
    """
    return pd.DataFrame(
        [
            {
                "wave_date": wave_date.isoformat(),
                "as_of_date": as_of_date.isoformat() if as_of_date else None,
                "campaign": wave.campaign.name,
                "priority": wave.campaign.priority,
                "audience": wave.audience_size,
                **{f"removed_{step}": wave.removed[step] for step in STEPS[1:]},
                "held_back_reasons": reasons_text(wave.held_back_by_reason),
                "listed": len(wave.members),
                "treatment": wave.count_treatment,
                "holdout": wave.count_holdout,
                "global_control": wave.count_global_control,
            }
            for wave in lists
        ]
    )
