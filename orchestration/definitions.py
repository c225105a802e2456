"""The Dagster code location: assembles assets, checks, jobs, schedules, sensors and resources."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.campaigns import campaign_assets
from orchestration.assets.dbt import campaign_feedback_dbt_models, loyalty_dbt_models
from orchestration.assets.publish import published_warehouse
from orchestration.assets.raw_files import raw_orders_are_fresh, raw_table_assets
from orchestration.jobs import campaigns_job, loyalty_refresh_job, observe_raw_files_job
from orchestration.resources import WarehouseResource, dbt_resource
from orchestration.schedules import daily_loyalty_refresh_schedule, weekly_campaigns_schedule
from orchestration.sensors import raw_files_sensor


def build_definitions(warehouse: WarehouseResource | None = None) -> Definitions:
    """The code location; tests pass a WarehouseResource pointing at a temporary folder."""
    return Definitions(
        assets=[
            *raw_table_assets,
            loyalty_dbt_models,
            *campaign_assets,
            campaign_feedback_dbt_models,
            published_warehouse,
        ],
        asset_checks=[raw_orders_are_fresh],
        jobs=[loyalty_refresh_job, campaigns_job, observe_raw_files_job],
        schedules=[daily_loyalty_refresh_schedule, weekly_campaigns_schedule],
        sensors=[raw_files_sensor],
        resources={"dbt": dbt_resource(), "warehouse": warehouse or WarehouseResource()},
        # DuckDB allows one writer per file: the steps of a run go one after another.
        executor=in_process_executor,
    )


defs = build_definitions()
