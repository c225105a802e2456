"""Schedules, in LOYALTY_TIMEZONE (default Asia/Shanghai)."""

from __future__ import annotations

import os

from dagster import ScheduleDefinition

from orchestration.assets.campaigns import DEFAULT_TIMEZONE
from orchestration.jobs import campaigns_job, loyalty_refresh_job

TIMEZONE = os.environ.get("LOYALTY_TIMEZONE", DEFAULT_TIMEZONE)

daily_loyalty_refresh_schedule = ScheduleDefinition(
    name="daily_loyalty_refresh_schedule",
    job=loyalty_refresh_job,
    cron_schedule=os.environ.get("LOYALTY_DAILY_CRON", "0 6 * * *"),
    execution_timezone=TIMEZONE,
    description="Every day at 06:00: rebuild the marts, the campaign lists and the published file.",
)

weekly_campaigns_schedule = ScheduleDefinition(
    name="weekly_campaigns_schedule",
    job=campaigns_job,
    cron_schedule=os.environ.get("LOYALTY_WEEKLY_CAMPAIGNS_CRON", "0 9 * * 1"),
    execution_timezone=TIMEZONE,
    description="Every Monday at 09:00: a new wave of campaign lists from the current marts.",
)
