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

from orchestration.publish import SPARK_BI_NOTE, publish, spark_marts
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
        "(data/loyalty.duckdb) for BI tools; on Spark, the Spark tables of the marts counted "
        "(BI tools read them through a Thrift server).",
        kinds={"duckdb"},
    )
    def published_warehouse(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        settings = warehouse.settings()
        if settings.dbt_target == "spark":
            # The DuckDB file is the embedded target's: on Spark the marts are the tables.
            tables = spark_marts(settings, marts)
            context.log.info(SPARK_BI_NOTE)
            where = MetadataValue.text(f"Spark database marts ({settings.spark_dir / 'warehouse'})")
        else:
            tables = publish(settings.build_path, settings.warehouse_path, marts, storage_version)
            where = MetadataValue.path(str(settings.warehouse_path))
        return MaterializeResult(
            metadata={
                "path": where,
                "tables": MetadataValue.md(
                    "\n".join(f"- {t.schema}.{t.name}: {t.rows_text}" for t in tables)
                ),
                "table_count": MetadataValue.int(len(tables)),
            }
        )

    return published_warehouse
