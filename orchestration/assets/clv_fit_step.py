"""The CLV fit step as a Dagster asset, between the dbt models it reads and those reading it.

Only where the dbt project has the step's sources enabled (Spark, or
LOYALTY_CLV_FIT_STEP=1; see orchestration/clv_fit_step.py): then dbt's
manifest has the SQL models that read the step's tables, the translator maps
their sources to this asset's keys, and Dagster runs the dbt step in two
parts around this one.
"""

from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration import clv_fit_step
from orchestration.clv_fit_step import uses_clv_fit_step
from orchestration.project import Manifest
from orchestration.resources import WarehouseResource

# The models the step reads (intermediate), by asset key.
INPUTS = ("int_clv_fit_step_settings", "int_customer_purchase_days", "int_customers_clv_summary")


def fit_step_key(table: str) -> AssetKey:
    """The asset key of a table the step writes (the translator keys its dbt source so)."""
    return AssetKey([clv_fit_step.OUTPUT_SCHEMA, table])


def ran_in_this_run(context: AssetExecutionContext) -> bool:
    """True when the fit step materialized its tables earlier in this run."""
    for table in clv_fit_step.OUTPUT_TABLES:
        event = context.instance.get_latest_materialization_event(fit_step_key(table))
        if event is not None and event.run_id == context.run_id:
            return True
    return False


def build_clv_fit_step(manifest: Manifest) -> AssetsDefinition | None:
    """The fit step's asset, or None where dbt's Python models make the tables."""
    if not uses_clv_fit_step(manifest):
        return None

    @multi_asset(
        name="clv_fit_step",
        specs=[
            AssetSpec(
                fit_step_key(table),
                deps=[AssetKey(name) for name in INPUTS],
                group_name="intermediate",
                description=f"{table} made by the CLV fit step (orchestration.clv.tables, as "
                "the DuckDB Python model of that name makes it), for the SQL model of that name.",
                kinds={"python"},
            )
            for table in clv_fit_step.OUTPUT_TABLES
        ],
    )
    def clv_fit_step_asset(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Read this build's summary and purchase days through the engine, fit, write back.

        In a process of its own: local Spark's metastore takes one process at a time.
        """
        completed = clv_fit_step.run_in_process(warehouse.settings())
        if completed.stdout.strip():
            context.log.info(completed.stdout.strip())
        if completed.returncode != 0:
            raise Failure(
                description=f"The CLV fit step failed (exit {completed.returncode}).",
                metadata={"stderr": MetadataValue.text(completed.stderr[-6000:])},
            )
        rows = clv_fit_step.parse_rows(completed.stdout)
        for table in clv_fit_step.OUTPUT_TABLES:
            yield MaterializeResult(
                asset_key=fit_step_key(table),
                metadata={"dagster/row_count": MetadataValue.int(rows.get(table, 0))},
            )

    return clv_fit_step_asset
