"""The Dagster code location: assembles assets, checks, jobs, schedules, sensors and resources."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.campaigns import build_campaign_wave
from orchestration.assets.clv_fit_step import build_clv_fit_step
from orchestration.assets.dbt import build_dbt_assets
from orchestration.assets.publish import build_published_warehouse
from orchestration.assets.raw_files import build_raw_orders_freshness_check, build_raw_table_assets
from orchestration.campaigns.config import load_config
from orchestration.jobs import campaigns_job, loyalty_refresh_job, observe_raw_files_job
from orchestration.project import load_manifest, mart_columns, published_marts, raw_tables
from orchestration.resources import WarehouseResource, dbt_resource
from orchestration.schedules import build_schedules
from orchestration.sensors import build_retention_sensor, raw_files_sensor
from orchestration.settings import Settings


def build_definitions(
    warehouse: WarehouseResource | None = None, settings: Settings | None = None
) -> Definitions:
    """The code location for `settings` (default: from the environment).

    Tests pass a WarehouseResource pointing at a temporary folder. The
    campaign rules are validated here, so a bad campaigns.yml stops the code
    location from loading before any run starts.
    """
    settings = settings or Settings.from_environment()
    manifest = load_manifest()
    tables = raw_tables(manifest)
    (orders,) = (table for table in tables if table.name == "orders")
    campaign_wave = build_campaign_wave(
        load_config(settings.campaigns_file, mart_columns(manifest)),
        settings.timezone_info,
        settings.allow_stale_data,
    )
    # Where dbt runs no Python models (Spark): the CLV fit step between two dbt selections.
    fit_step = build_clv_fit_step(manifest)
    return Definitions(
        assets=[
            build_raw_table_assets(tables),
            build_dbt_assets(manifest, settings),
            *([fit_step] if fit_step is not None else []),
            campaign_wave,
            build_published_warehouse(
                published_marts(manifest), list(campaign_wave.keys), settings.storage_version
            ),
        ],
        asset_checks=[build_raw_orders_freshness_check(orders, settings.raw_max_age_hours)],
        jobs=[loyalty_refresh_job, campaigns_job, observe_raw_files_job],
        schedules=build_schedules(settings),
        sensors=[raw_files_sensor, build_retention_sensor(settings)],
        resources={
            "dbt": dbt_resource(),
            "warehouse": warehouse or WarehouseResource.from_settings(settings),
        },
        # DuckDB allows one writer per file: the steps of a run go one after another.
        executor=in_process_executor,
    )


defs = build_definitions()
