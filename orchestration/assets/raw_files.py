"""The raw export files as observable source assets, with a freshness check on orders."""

import os
import warnings
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetsDefinition,
    BetaWarning,
    DataVersion,
    MetadataValue,
    ObserveResult,
    asset_check,
    observable_source_asset,
)

from orchestration.raw_files import (
    RAW_TABLES,
    fingerprint_key,
    raw_files,
    summarize_raw_table,
)
from orchestration.resources import WarehouseResource

# A warning when the newest raw order is older than this (hours).
DEFAULT_MAX_ORDER_AGE_HOURS = 48


def max_order_age() -> timedelta:
    return timedelta(
        hours=float(os.environ.get("LOYALTY_RAW_MAX_AGE_HOURS", DEFAULT_MAX_ORDER_AGE_HOURS))
    )


def _raw_table_asset(table: str) -> AssetsDefinition:
    @observable_source_asset(
        key=AssetKey(["raw", table]),
        group_name="raw",
        description=f"The raw `{table}` export: every file {table}*.csv in LOYALTY_RAW_DIR.",
    )
    def observe(warehouse: WarehouseResource) -> ObserveResult:
        raw_dir = warehouse.settings().raw_dir
        summary = summarize_raw_table(raw_dir, table)
        fingerprint = {
            path.name: [path.stat().st_size, path.stat().st_mtime_ns]
            for path in raw_files(raw_dir, table)
        }
        metadata = {
            "row_count": MetadataValue.int(summary.row_count),
            "files": MetadataValue.json(summary.files),
            "raw_dir": MetadataValue.path(str(raw_dir)),
        }
        if summary.latest_at is not None:
            metadata["latest_record_at"] = MetadataValue.text(summary.latest_at.isoformat())
        return ObserveResult(
            data_version=DataVersion(fingerprint_key(fingerprint)), metadata=metadata
        )

    return observe


with warnings.catch_warnings():
    # Observable source assets are marked beta in Dagster 1.13; they are the
    # documented way to show external files with row counts in the catalog.
    warnings.simplefilter("ignore", BetaWarning)
    raw_table_assets = [_raw_table_asset(table) for table in RAW_TABLES]


@asset_check(asset=AssetKey(["raw", "orders"]), blocking=False)
def raw_orders_are_fresh(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    """Warns when the newest raw order is older than LOYALTY_RAW_MAX_AGE_HOURS (default 48)."""
    summary = summarize_raw_table(warehouse.settings().raw_dir, "orders")
    allowed = max_order_age()
    if summary.latest_at is None:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description="No raw orders at all.",
        )
    # Raw timestamps are UTC without an offset.
    age = datetime.now(UTC).replace(tzinfo=None) - summary.latest_at
    return AssetCheckResult(
        passed=age <= allowed,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "latest_ordered_at": MetadataValue.text(summary.latest_at.isoformat()),
            "age_hours": MetadataValue.float(round(age.total_seconds() / 3600, 1)),
            "max_age_hours": MetadataValue.float(allowed.total_seconds() / 3600),
        },
    )
