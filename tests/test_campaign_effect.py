"""campaign_effect recovers a true uplift planted by the generator, within its interval."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from orchestration.campaigns.config import Campaign, CampaignSettings
from orchestration.campaigns.engine import build_wave, history_rows
from orchestration.campaigns.selection import audience, contacts, record_wave, suppressions
from sample_generator import generate
from sample_generator.campaign_response import simulate_campaign_responses
from tests.dbt_runner import Warehouse

pytestmark = pytest.mark.sample

# The company's data ends the day before the wave, so every purchase after the
# wave is a simulated response; the whole window lies in the past (a purchase
# after the moment of the build would be quarantined as future_ordered_at).
DATA_END = date(2026, 6, 30)
WAVE = date(2026, 7, 1)
TRUE_UPLIFT = 0.10
BASE_RATE = 0.20


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> pd.Series:
    root = tmp_path_factory.mktemp("uplift")
    raw = root / "raw"
    generate(5000, seed=11, out_dir=raw, end_date=DATA_END)
    shutil.rmtree(raw / "_truth")
    warehouse = Warehouse(raw_dir=raw, work_dir=root)
    first = warehouse.build()
    assert first.ok, first.output[-3000:]

    everyone = Campaign(
        name="everyone",
        goal="",
        audience="count_purchases > 0",
        priority=1,
        channel="sms",
        offer_en="",
        offer_zh="",
        holdout_share=0.5,
    )
    settings = CampaignSettings(frequency_cap_days=7, holdout_seed=3)
    with duckdb.connect(str(warehouse.database_path)) as connection:
        (wave,) = build_wave(
            [everyone],
            {"everyone": audience(connection, everyone)},
            contacts(connection),
            suppressions(connection),
            pd.DataFrame(columns=["wave_date", "customer_id"]),
            WAVE,
            settings,
        )
        rows = history_rows([wave], WAVE)
        record_wave(connection, rows, WAVE, ["everyone"])
    simulate_campaign_responses(
        rows, raw, WAVE, window_days=30, base_rate=BASE_RATE, uplift=TRUE_UPLIFT, seed=9
    )
    second = warehouse.build("--vars", "{as_of_date: '2026-07-31'}")
    assert second.ok, second.output[-3000:]
    (effect,) = warehouse.query_df("select * from marts.campaign_effect").to_dict("records")
    return pd.Series(effect)


def test_groups_are_about_half_and_half(measured):
    total = measured["count_treatment"] + measured["count_holdout"]
    assert total > 2000
    assert abs(measured["count_treatment"] / total - 0.5) < 0.03


def test_measured_uplift_recovers_the_planted_one(measured):
    assert measured["conversion_uplift_lower"] <= TRUE_UPLIFT <= measured["conversion_uplift_upper"]
    assert measured["holdout_conversion_rate"] == pytest.approx(BASE_RATE, abs=0.03)
    # Each response is one order of 100.00: revenue uplift is 100 x the conversion uplift.
    assert measured["revenue_uplift_lower"] <= 100 * TRUE_UPLIFT <= measured["revenue_uplift_upper"]
    assert measured["conversion_uplift_lower"] > 0  # the effect is detected, not just compatible
