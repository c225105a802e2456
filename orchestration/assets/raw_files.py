"""The raw export files as observable source assets, with a freshness check on orders."""

import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    DataVersion,
    Failure,
    MetadataValue,
    ObserveResult,
    asset_check,
    multi_observable_source_asset,
)

from orchestration.raw_encodings import RawEncodingError, utf8_copies
from orchestration.raw_files import (
    RawTable,
    RawTableSummary,
    fingerprint_key,
    folder_fingerprint,
    summarize_raw_table,
)
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings


def _observation(raw_dir: Path, table: RawTable, copy_paths: dict[str, str]) -> ObserveResult:
    summary = summarize_raw_table(raw_dir, table, utf8_copies=copy_paths)
    metadata = {
        "file_count": MetadataValue.int(len(summary.files)),
        "row_count": MetadataValue.int(summary.row_count),
        "files": MetadataValue.json(summary.files),
        "raw_dir": MetadataValue.path(str(raw_dir)),
    }
    if summary.latest_at is not None:
        metadata["latest_record_at"] = MetadataValue.text(summary.latest_at.isoformat())
    return ObserveResult(
        asset_key=AssetKey(["raw", table.name]),
        data_version=DataVersion(fingerprint_key(folder_fingerprint(raw_dir, [table]))),
        metadata=metadata,
    )


def _utf8_copy_paths(settings: Settings) -> dict[str, str]:
    """{original path: UTF-8 copy} of the raw files that are not UTF-8, made if not current."""
    try:
        copies = utf8_copies(settings)
    except RawEncodingError as error:
        raise Failure(description=str(error)) from None
    return {source: copy.copy_path for source, copy in copies.items()}


def build_raw_table_assets(tables: Sequence[RawTable]) -> AssetsDefinition:
    """One observable source asset per raw table (the dbt sources of `crm`), observed together."""
    specs = [
        AssetSpec(
            AssetKey(["raw", table.name]),
            group_name="raw",
            description=f"The raw `{table.name}` export: every file {table.name}*.csv in "
            "LOYALTY_RAW_DIR.",
        )
        for table in tables
    ]
    with warnings.catch_warnings():
        # Observable source assets are marked beta in Dagster 1.13; they are the
        # documented way to show external files with row counts in the catalog.
        warnings.simplefilter("ignore", BetaWarning)

        @multi_observable_source_asset(specs=specs, name="observe_raw_files", can_subset=True)
        def observe_raw_files(
            context: AssetExecutionContext, warehouse: WarehouseResource
        ) -> Iterator[ObserveResult]:
            settings = warehouse.settings()
            copies = _utf8_copy_paths(settings)
            for table in tables:
                if AssetKey(["raw", table.name]) in context.selected_asset_keys:
                    yield _observation(settings.raw_dir, table, copies)

    return observe_raw_files


def build_raw_orders_freshness_check(
    orders: RawTable, max_age_hours: float
) -> AssetChecksDefinition:
    """A check that warns when the newest raw order is older than max_age_hours."""
    allowed = timedelta(hours=max_age_hours)

    @asset_check(asset=AssetKey(["raw", orders.name]), name="raw_orders_are_fresh", blocking=False)
    def raw_orders_are_fresh(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> AssetCheckResult:
        """Warns when the newest raw order is older than LOYALTY_RAW_MAX_AGE_HOURS (default 48)."""
        settings = warehouse.settings()
        summary = summarize_raw_table(
            settings.raw_dir, orders, utf8_copies=_utf8_copy_paths(settings)
        )
        return _freshness(summary, allowed)

    return raw_orders_are_fresh


def _freshness(summary: RawTableSummary, allowed: timedelta) -> AssetCheckResult:
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
