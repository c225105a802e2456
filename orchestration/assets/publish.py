"""The warehouse file BI tools read: the marts copied out of the build warehouse."""

from collections.abc import Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.publish import publish
from orchestration.resources import WarehouseResource


def build_published_warehouse(
    marts: Sequence[str], after: Sequence[AssetKey], storage_version: str
) -> AssetsDefinition:
    """Publishing of `marts` (the dbt models of schema marts), after the assets `after`."""

    @asset(
        key=AssetKey("published_warehouse"),
        group_name="publish",
        # After the campaign lists too: they write to the build warehouse, which
        # publishing reads, and DuckDB allows one writer per file.
        deps=[*(AssetKey(name) for name in marts), *after],
        description="The marts (schema `marts`) copied to LOYALTY_DUCKDB_PATH "
        "(data/loyalty.duckdb) for BI tools.",
        kinds={"duckdb"},
    )
    def published_warehouse(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        settings = warehouse.settings()
        tables = publish(settings.build_path, settings.warehouse_path, marts, storage_version)
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(settings.warehouse_path)),
                "tables": MetadataValue.md(
                    "\n".join(f"- {t.schema}.{t.name}: {t.rows_text}" for t in tables)
                ),
                "table_count": MetadataValue.int(len(tables)),
            }
        )

    return published_warehouse
