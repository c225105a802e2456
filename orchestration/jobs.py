"""Jobs: the whole refresh, and the campaign lists alone."""

from __future__ import annotations

import warnings

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    BetaWarning,
    define_asset_job,
    in_process_executor,
)

# The raw files are observable source assets: selected with include_sources
# (without it a selection of group `raw` is empty and observes nothing). The
# parameter is marked beta in Dagster 1.13; it is how observable sources are
# put in a job.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", BetaWarning)
    RAW_FILES = AssetSelection.groups("raw", include_sources=True)
    # The raw files alone: their observation and freshness check, without the
    # raw tables' dbt tests (checks on the same assets, which need a build).
    RAW_FILES_OBSERVED = RAW_FILES.without_checks() | AssetSelection.checks(
        AssetCheckKey(AssetKey(["raw", "orders"]), "raw_orders_are_fresh")
    )
    EVERY_ASSET = AssetSelection.all(include_sources=True)

# DuckDB allows one writer per file: steps of a run go one after another.

loyalty_refresh_job = define_asset_job(
    name="loyalty_refresh_job",
    selection=EVERY_ASSET,
    description="Observe the raw files and check their freshness, dbt build (every model and "
    "data test), then the campaign lists, then publish.",
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
    selection=RAW_FILES_OBSERVED,
    description="Observe the raw export files: files, row counts, latest records, freshness check.",
    executor_def=in_process_executor,
)
