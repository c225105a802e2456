"""Jobs: the whole refresh, and the campaign lists alone."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

# DuckDB allows one writer per file: steps of a run go one after another.
loyalty_refresh_job = define_asset_job(
    name="loyalty_refresh_job",
    selection=AssetSelection.all() - AssetSelection.groups("raw"),
    description="dbt build (every model and data test), then the campaign lists, then publish.",
    executor_def=in_process_executor,
)

campaigns_job = define_asset_job(
    name="campaigns_job",
    selection=AssetSelection.groups("campaigns")
    | AssetSelection.assets("campaign_effect", "published_warehouse"),
    description="A campaign wave from the marts as they are now (dbt builds only the contact "
    "history and the measured effect of past waves), then publish.",
    executor_def=in_process_executor,
)

observe_raw_files_job = define_asset_job(
    name="observe_raw_files_job",
    selection=AssetSelection.groups("raw"),
    description="Observe the raw export files: row counts, latest records, freshness check.",
)
