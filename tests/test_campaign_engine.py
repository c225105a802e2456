"""The campaign wave engine: eligibility steps by hand, holdout determinism, idempotent history."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.assets.campaigns import StaleDataError, check_data_age
from orchestration.campaigns.config import Campaign, CampaignSettings
from orchestration.campaigns.engine import (
    build_wave,
    held_back_customers,
    history_rows,
    holdout_draw,
    period_start,
    summary_rows,
)
from orchestration.campaigns.selection import history, record_wave
from orchestration.project import load_manifest, model_columns

WAVE = date(2026, 7, 1)
SETTINGS = CampaignSettings(frequency_cap_days=7, default_holdout_share=0.0, holdout_seed=42)


def _campaign(name: str, priority: int, **extra) -> Campaign:
    return Campaign(
        name=name,
        goal="",
        audience="true",
        priority=priority,
        channel="sms",
        offer_en="",
        offer_zh="",
        holdout_share=extra.pop("holdout_share", 0.0),
        **extra,
    )


def _audience(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": list(values), "total_lifetime_value": list(values.values())}
    )


@pytest.fixture
def wave():
    campaigns = [_campaign("retain", 1), _campaign("remind", 2, max_customers=1)]
    audiences = {
        "retain": _audience({"x1": 500, "x2": 400, "x3": 300, "x4": 200, "x9": 250}),
        "remind": _audience(
            {"x2": 400, "x5": 350, "x6": 150, "x7": 100, "x8": 200, "x9": 250, "x10": 50}
        ),
    }
    contacts = pd.DataFrame(
        {
            "customer_id": [f"x{n}" for n in range(1, 11)],
            "marketing_consent": [
                "opt_in",
                "opt_in",
                "opt_out",
                "opt_in",
                "opt_in",
                "none",
                "opt_in",
                "opt_in",
                "held_back",
                "held_back",
            ],
            "held_back_reasons": [None] * 8
            + [
                "consent_events.invalid_consent",
                "consent_events.future_recorded_at, suppressions.unknown_reason",
            ],
        }
    )
    suppressions = pd.DataFrame(
        {
            "customer_id": ["x4", "x7", "x8"],
            "reason": ["do_not_contact", "complaint_handling", "bounced"],
            "suppressed_at": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-07-05"]),
            "lifted_at": pd.to_datetime([None, "2026-06-20", None]),
        }
    )
    past = pd.DataFrame(
        {
            "campaign": ["retain", "retain"],
            "wave_date": [date(2026, 6, 28), date(2026, 6, 20)],
            "customer_id": ["x5", "x8"],
            "assignment": ["treatment", "treatment"],
            "priority": [1, 1],
        }
    )
    return build_wave(campaigns, audiences, contacts, suppressions, past, WAVE, SETTINGS)


def test_each_eligibility_step_by_hand(wave):
    retain, remind = wave
    # retain: x9 is held back (an opt-out nobody could read); x3 opted out; x4
    # is suppressed (do not contact, not lifted).
    assert retain.removed == {
        "held_back": 1,
        "consent": 1,
        "suppression": 1,
        "frequency_cap": 0,
        "size_cap": 0,
    }
    assert retain.held_back_by_reason == {"consent_events.invalid_consent": 1}
    assert list(retain.members["customer_id"]) == ["x1", "x2"]
    # remind: x9 and x10 are held back; x6 never consented; x7's suppression
    # was lifted on 06-20 and x8's starts on 07-05, so neither is suppressed on
    # 07-01; x2 is already in retain (higher priority) and x5 was in a wave
    # three days ago (cap 7 days); x8's wave of 06-20 is 11 days ago. Of x7
    # (100) and x8 (200) the cap keeps x8.
    assert remind.removed == {
        "held_back": 2,
        "consent": 1,
        "suppression": 0,
        "frequency_cap": 2,
        "size_cap": 1,
    }
    assert list(remind.members["customer_id"]) == ["x8"]
    assert remind.audience_size == 7


def test_the_summary_counts_held_back_customers_by_reason(wave):
    summary = summary_rows(wave, WAVE).set_index("campaign")
    assert summary.loc["retain", "removed_held_back"] == 1
    assert summary.loc["retain", "held_back_reasons"] == "consent_events.invalid_consent: 1"
    # x10 has two reasons and counts under both; x9 under its one.
    assert summary.loc["remind", "removed_held_back"] == 2
    assert summary.loc["remind", "held_back_reasons"] == (
        "consent_events.future_recorded_at: 1; consent_events.invalid_consent: 1; "
        "suppressions.unknown_reason: 1"
    )


def test_a_held_back_customer_without_a_reason_is_still_held_back():
    contacts = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "marketing_consent": ["held_back", "held_back", "opt_in"],
            "held_back_reasons": [None, "", None],
        }
    )
    assert held_back_customers(contacts) == {"a": ["unknown"], "b": ["unknown"]}


def test_holdout_is_deterministic_and_close_to_the_share():
    customers = pd.Series([f"C{n:06d}" for n in range(4000)])
    first = holdout_draw(7, "retain", WAVE, customers)
    again = holdout_draw(7, "retain", WAVE, customers)
    np.testing.assert_array_equal(first, again)
    assert abs((first < 0.10).mean() - 0.10) < 0.015
    other_wave = holdout_draw(7, "retain", date(2026, 7, 8), customers)
    assert (first < 0.10).sum() != 0 and not np.array_equal(first < 0.10, other_wave < 0.10)
    campaign = _campaign("retain", 1, holdout_share=0.10)
    audience = {"retain": pd.DataFrame({"customer_id": customers, "total_lifetime_value": 1.0})}
    contacts = pd.DataFrame({"customer_id": customers, "marketing_consent": "opt_in"})
    empty = pd.DataFrame(columns=["customer_id", "suppressed_at", "lifted_at"])
    no_history = pd.DataFrame(columns=["campaign", "wave_date", "customer_id"])
    (listed,) = build_wave([campaign], audience, contacts, empty, no_history, WAVE, SETTINGS)
    held_out = set(listed.members.loc[listed.members["assignment"] == "holdout", "customer_id"])
    # The wave draws with the seed of its settings (42), not any other (7), for
    # the holdout period the wave falls in (20,635 days after 1970-01-01 is
    # period 226 of 91 days, which starts on day 20,566: 2026-04-23).
    assert period_start(WAVE, SETTINGS.holdout_period_days) == date(2026, 4, 23)
    drawn_with_settings_seed = set(
        customers[
            holdout_draw(SETTINGS.holdout_seed, "retain", date(2026, 4, 23), customers) < 0.10
        ]
    )
    assert 300 < len(drawn_with_settings_seed) < 500  # about 10% of 4,000
    assert held_out == drawn_with_settings_seed
    assert held_out != set(customers[first < 0.10])


def _warehouse_with_history_table() -> duckdb.DuckDBPyConnection:
    """An empty warehouse with the contact history table as dbt model contact_history defines it."""
    columns = model_columns(load_manifest(), "contact_history")
    connection = duckdb.connect()
    connection.execute("create schema campaigns")
    connection.execute(
        "create table campaigns.contact_history ("
        + ", ".join(f"{name} {data_type}" for name, data_type in columns.items())
        + ")"
    )
    return connection


def test_rerunning_a_wave_does_not_duplicate_the_history(wave):
    connection = _warehouse_with_history_table()
    rows = history_rows(wave, WAVE)
    record_wave(connection, rows, WAVE, ["retain", "remind"])
    record_wave(connection, rows, WAVE, ["retain", "remind"])
    stored = history(connection)
    assert len(stored) == len(rows) == 3
    # Another wave adds its own rows.
    later = rows[rows["campaign"] == "retain"].assign(wave_date=date(2026, 7, 8))
    record_wave(connection, later, date(2026, 7, 8), ["retain"])
    assert len(history(connection)) == 3 + 2


def _many(count: int) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    customers = pd.Series([f"C{n:05d}" for n in range(count)])
    audience = pd.DataFrame({"customer_id": customers, "total_lifetime_value": 1.0})
    contacts = pd.DataFrame({"customer_id": customers, "marketing_consent": "opt_in"})
    empty = pd.DataFrame(columns=["customer_id", "suppressed_at", "lifted_at"])
    return customers, audience, contacts, empty


def _assigned(lists, assignment: str) -> set[str]:
    return {
        customer
        for wave in lists
        for customer in wave.members.loc[wave.members["assignment"] == assignment, "customer_id"]
    }


def test_holdout_and_global_control_are_stable_within_a_period():
    customers, audience, contacts, empty = _many(2000)
    settings = CampaignSettings(
        frequency_cap_days=0, holdout_seed=5, holdout_period_days=91, global_control_share=0.05
    )
    campaigns = [_campaign("retain", 1, holdout_share=0.10), _campaign("remind", 2)]
    # Half the customers qualify for each campaign; retain has priority.
    audiences = {"retain": audience.iloc[::2], "remind": audience}
    no_history = pd.DataFrame(columns=HISTORY)

    def wave_on(day: date):
        return build_wave(campaigns, audiences, contacts, empty, no_history, day, settings)

    # 2026-04-23 to 2026-07-22 is one holdout period; 2026-07-23 starts the next.
    first, same_period = wave_on(WAVE), wave_on(date(2026, 7, 22))
    next_period = wave_on(date(2026, 7, 23))
    global_control = _assigned(first, "global_control")
    assert 60 < len(global_control) < 140  # about 5% of 2,000
    assert global_control == _assigned(same_period, "global_control")
    assert _assigned(first, "holdout") == _assigned(same_period, "holdout")
    assert global_control != _assigned(next_period, "global_control")
    # The global control is kept out of every campaign, whatever its priority,
    # and nobody is contacted by one campaign while held out of another.
    assert global_control.isdisjoint(_assigned(first, "treatment"))
    assert {wave.count_global_control > 0 for wave in first} == {True}
    assert _assigned(first, "holdout").isdisjoint(_assigned(first, "treatment"))
    # remind has no holdout share of its own: its control is the global group.
    remind = first[1]
    assert remind.count_holdout == 0 and remind.count_global_control > 0


HISTORY = ["campaign", "wave_date", "customer_id", "assignment", "priority"]


def test_only_contacted_customers_count_towards_the_frequency_cap():
    customers, audience, contacts, empty = _many(3)
    # Three days before the wave (cap 7 days): C00000 was contacted, C00001
    # held out, C00002 in the global control group. Only C00000 is capped.
    past = pd.DataFrame(
        {
            "campaign": "retain",
            "wave_date": date(2026, 6, 28),
            "customer_id": list(customers),
            "assignment": ["treatment", "holdout", "global_control"],
            "priority": 1,
        }
    )
    (listed,) = build_wave(
        [_campaign("retain", 1)], {"retain": audience}, contacts, empty, past, WAVE, SETTINGS
    )
    assert listed.removed["frequency_cap"] == 1
    assert list(listed.members["customer_id"]) == ["C00001", "C00002"]


def test_a_wave_on_stale_data_stops_with_what_to_do():
    as_of = date(2026, 10, 31)
    assert check_data_age(as_of, date(2026, 11, 14), max_age_days=14, allow_stale=False) is None
    with pytest.raises(StaleDataError) as error:
        check_data_age(as_of, date(2026, 12, 2), max_age_days=14, allow_stale=False)
    message = str(error.value)
    assert "2026-10-31" in message and "32 days before the wave date 2026-12-02" in message
    assert "allow_stale_data: true" in message and "max_data_age_days" in message
    assert "make run ALLOW_STALE_DATA=1" in message
    # Allowed anyway, the wave goes on and says how old its data is.
    warning = check_data_age(as_of, date(2026, 12, 2), max_age_days=14, allow_stale=True)
    assert "32 days before the wave date 2026-12-02" in warning and "anyway" in warning
    assert check_data_age(as_of, date(2026, 11, 14), max_age_days=14, allow_stale=True) is None
