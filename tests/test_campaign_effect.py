"""campaign_effect recovers a true uplift planted in the bundled sample, within its interval."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from orchestration.campaigns.config import Campaign, CampaignSettings
from orchestration.campaigns.engine import build_wave, history_rows
from orchestration.campaigns.selection import audience, contacts, record_wave, suppressions
from sample_generator.campaign_response import simulate_campaign_responses
from tests.dbt_runner import REPO_ROOT

pytestmark = pytest.mark.sample

# The bundled sample ends on 2026-10-31, the day before the wave, so every
# purchase after the wave is a simulated response; the whole window lies in
# the past (a purchase after the moment of the build would be quarantined as
# future_ordered_at).
WAVE = date(2026, 11, 1)
AS_OF = date(2026, 12, 1)  # the end of the 30-day conversion window
TRUE_UPLIFT = 0.10
BASE_RATE = 0.20


@pytest.fixture(scope="module")
def measured(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> pd.Series:
    root = tmp_path_factory.mktemp("uplift")
    responses = root / "responses"
    responses.mkdir()
    warehouse = sample_warehouse.copy(root / "warehouse", more_raw_dirs=(responses,))

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
        rows, responses, WAVE, window_days=30, base_rate=BASE_RATE, uplift=TRUE_UPLIFT, seed=9
    )
    # A daily build of campaign_effect and what it reads: only the response
    # files are new (in a folder of their own).
    warehouse.built("--select", "+campaign_effect", "--vars", f"{{as_of_date: '{AS_OF}'}}")
    (effect,) = warehouse.query_df(
        "select * from marts.campaign_effect where campaign = 'everyone'"
    ).to_dict("records")
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


def test_the_bundled_sample_closes_the_loop(sample_warehouse):
    """The sample's earlier waves are measured, and the planted uplift lies in each interval."""
    planted = pd.read_csv(REPO_ROOT / "seeds" / "sample" / "_truth" / "planted_campaign_uplift.csv")
    effect = sample_warehouse.query_df(
        "select * from marts.campaign_effect order by wave_date, campaign"
    )
    assert list(zip(effect["campaign"], effect["wave_date"].astype(str), strict=True)) == list(
        zip(planted["campaign"], planted["wave_date"], strict=True)
    )
    for measured, truth in zip(effect.itertuples(), planted.itertuples(), strict=True):
        assert measured.count_treatment > 50 and measured.count_holdout > 50
        assert measured.conversion_uplift_lower <= truth.conversion_uplift
        assert truth.conversion_uplift <= measured.conversion_uplift_upper
        revenue = truth.conversion_uplift * truth.revenue_per_response
        assert measured.revenue_uplift_lower <= revenue <= measured.revenue_uplift_upper
        # Nobody contacted bought in the window but for the planted responses:
        # the holdout converts at the base rate, within three standard errors.
        standard_error = (truth.base_rate * (1 - truth.base_rate) / measured.count_holdout) ** 0.5
        assert abs(measured.holdout_conversion_rate - truth.base_rate) <= 3 * standard_error
