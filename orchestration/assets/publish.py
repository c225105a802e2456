"""The warehouse file BI tools read: schema `marts` copied out of the build warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.assets.campaigns import campaign_assets
from orchestration.publish import publish
from orchestration.resources import WarehouseResource

MART_KEYS = [
    AssetKey(name)
    for name in (
        "customers",
        "orders",
        "customer_lifetime_value",
        "customer_segment_tier",
        "customer_loyalty_class",
        "value_concentration",
        "value_concentration_summary",
        "satisfaction_trends",
        "customer_repurchase_cycles",
        "replacement_due",
        "segment_relationship_strategy",
        "clv_model_fits",
        "campaign_effect",
    )
]


@asset(
    key=AssetKey("published_warehouse"),
    group_name="publish",
    # After the campaign lists too: they write to the build warehouse, which
    # publishing reads, and DuckDB allows one writer per file.
    deps=[*MART_KEYS, *(spec.key for assets_def in campaign_assets for spec in assets_def.specs)],
    description="Schema `marts` copied to LOYALTY_DUCKDB_PATH (data/loyalty.duckdb) for BI tools.",
    kinds={"duckdb"},
)
def published_warehouse(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    settings = warehouse.settings()
    tables = publish(settings.build_path, settings.warehouse_path)
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(settings.warehouse_path)),
            "tables": MetadataValue.md(
                "\n".join(f"- {t.schema}.{t.name}: {t.row_count:,} rows" for t in tables)
            ),
            "table_count": MetadataValue.int(len(tables)),
        }
    )
