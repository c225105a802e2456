"""Every dbt model, seed and snapshot as a Dagster asset; dbt tests as asset checks."""

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Output,
    get_dagster_logger,
)
from dagster._utils import pushd
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration.headlines import HEADLINES
from orchestration.project import Manifest, raw_tables
from orchestration.raw_state import full_refresh_announcement, record_state
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings, environment_for_dbt

# Tables of this schema are keyed <schema>/<name>, like the lists the wave writes beside them.
CAMPAIGN_SCHEMA = "campaigns"


class LoyaltyDbtTranslator(DagsterDbtTranslator):
    """Asset keys are dbt model names; groups follow the dbt layers."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return "raw"
        if resource_type == "seed":
            return "reference"
        # The layer: the folder under models/ (staging, intermediate, marts, ...).
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "other"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        if dbt_resource_props.get("schema") == CAMPAIGN_SCHEMA:
            return AssetKey([CAMPAIGN_SCHEMA, dbt_resource_props["name"]])
        # Model and seed names are unique in the project: the key is the name.
        return AssetKey(dbt_resource_props["name"])


translator = LoyaltyDbtTranslator()


def dbt_build_args(settings: Settings) -> list[str]:
    """What a run passes to `dbt build`.

    No unit tests (`make test` runs them); dbt's log file at info level (the
    default, debug, logs every SQL statement: about 12% of dbt's CPU time on
    the sample, measured); and the run's vars.
    """
    arguments = ["--exclude-resource-type", "unit_test", "--log-level-file", "info"]
    if settings.dbt_vars.strip():
        arguments += ["--vars", settings.dbt_vars.strip()]
    return arguments


class DbtBuildConfig(Config):
    """Run config of the dbt step (Launchpad: ops.loyalty_dbt_models.config)."""

    full_refresh: bool = False
    """Rebuild every model from the raw files (`dbt build --full-refresh`)."""


def reads_raw_files(selected: set[AssetKey]) -> bool:
    """True when the selection builds a base model, i.e. reads the raw files."""
    return any(key.path[-1].startswith("base_") for key in selected)


def _model_name(event: Output) -> str | None:
    """The dbt name of the node an output is for (its metadata carries dbt's unique_id)."""
    unique_id = event.metadata.get("unique_id")
    if unique_id is None:
        return None
    return str(getattr(unique_id, "value", unique_id)).rsplit(".", 1)[-1]


def with_headlines(events: Iterable[Any], invocation: DbtCliInvocation) -> Iterator[Any]:
    """The dbt events, with each headline mart's numbers and charts added to its materialization.

    The marts are read through the invocation's dbt adapter, as dagster-dbt
    reads row counts (one read-only connection, any engine); the events come
    after fetch_row_counts, which passes them on once dbt has finished, so
    the warehouse is free to read.
    """

    def query(sql: str) -> list[tuple]:
        adapter = invocation.adapter
        with pushd(str(invocation.project_dir)), adapter.connection_named("headlines"):
            _, table = adapter.execute(sql, fetch=True)
        return [tuple(row) for row in table.rows]

    try:
        for event in events:
            name = _model_name(event) if isinstance(event, Output) else None
            if name in HEADLINES:
                event = event.with_metadata({**event.metadata, **_headline(name, query)})
            yield event
    finally:
        _release_adapter(invocation)


def _headline(name: str, query: Callable[[str], list[tuple]]) -> dict[str, Any]:
    """A mart's headline metadata; a failure to read it is a warning, never a failed build."""
    try:
        return HEADLINES[name](query)
    except Exception as error:  # the numbers are a view of the mart, not part of it
        get_dagster_logger().warning(f"No headline numbers for {name}: {error}")
        return {}


def _release_adapter(invocation: DbtCliInvocation) -> None:
    """Close the adapter's read-only connection, so later steps of the run can open the file.

    dbt-duckdb keeps its database open for the rest of the process (and
    DuckDB refuses a second connection with another configuration).
    """
    adapter = invocation.adapter
    if adapter is None:
        return
    adapter.cleanup_connections()
    manager = type(adapter.connections)
    if hasattr(manager, "close_all_connections"):  # dbt-duckdb
        with contextlib.suppress(Exception):  # env() raises when nothing was opened
            manager.env().close()
        manager.close_all_connections()


def build_dbt_assets(manifest: Manifest, settings: Settings) -> AssetsDefinition:
    """The dbt project as one multi-asset that runs `dbt build` on the selected models."""
    tables = raw_tables(manifest)

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=translator,
        name="loyalty_dbt_models",
    )
    def loyalty_dbt_models(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        """`dbt build` of the selected models: each model is materialized, then its tests run.

        A failing test fails the step, so nothing downstream (campaign lists,
        the published warehouse) runs on data that did not pass. A build that
        reads the raw files starts over when they are not the ones the
        warehouse was built from (orchestration/raw_state.py), and records
        them once it succeeded.
        """
        run_settings = warehouse.settings()
        arguments = ["build", *dbt_build_args(settings)]
        reads_raw = reads_raw_files(set(context.selected_asset_keys))
        if reads_raw:
            raw_state, announcement = full_refresh_announcement(
                run_settings, tables, requested=config.full_refresh or settings.full_refresh
            )
            if announcement:
                context.log.info(announcement)
                arguments.append("--full-refresh")
        with environment_for_dbt(run_settings):
            # The op's context: dagster-dbt reads the op's tags, which the asset
            # context only offers through a deprecated property.
            invocation = dbt.cli(arguments, context=context.op_execution_context)
            events = (
                invocation.stream()
                .fetch_row_counts()
                .fetch_column_metadata(with_column_lineage=False)
            )
            yield from with_headlines(events, invocation)
        if reads_raw:
            record_state(run_settings.build_path, raw_state)

    return loyalty_dbt_models
