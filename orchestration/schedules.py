"""Schedules: the daily refresh, the weekly campaign wave and the raw files' observation."""

from __future__ import annotations

from dagster import ScheduleDefinition

from orchestration.jobs import campaigns_job, loyalty_refresh_job, observe_raw_files_job
from orchestration.settings import Settings


def build_schedules(settings: Settings) -> list[ScheduleDefinition]:
    """The schedules at the times of LOYALTY_DAILY_CRON, LOYALTY_WEEKLY_CAMPAIGNS_CRON and
    LOYALTY_RAW_FILES_CRON."""
    return [
        ScheduleDefinition(
            name="daily_loyalty_refresh_schedule",
            job=loyalty_refresh_job,
            cron_schedule=settings.daily_cron,
            execution_timezone=settings.timezone,
            description="Every day (default 06:00): rebuild the marts, the campaign lists and "
            "the published file.",
        ),
        ScheduleDefinition(
            name="weekly_campaigns_schedule",
            job=campaigns_job,
            cron_schedule=settings.weekly_campaigns_cron,
            execution_timezone=settings.timezone,
            description="Every week (default Monday 09:00): a new wave of campaign lists from "
            "the current marts.",
        ),
        ScheduleDefinition(
            name="hourly_raw_files_schedule",
            job=observe_raw_files_job,
            cron_schedule=settings.raw_files_cron,
            execution_timezone=settings.timezone,
            description="Every hour (default): observe the raw files (files, rows, latest "
            "record) and check that the orders export is fresh, between refreshes.",
        ),
    ]
