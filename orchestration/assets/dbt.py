"""Every dbt model, seed and snapshot as a Dagster asset; dbt tests (also those on the raw
tables) as asset checks."""

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Config,
    Failure,
    MetadataValue,
    Output,
    TableColumn,
    TableSchema,
    get_dagster_logger,
)
from dagster._utils import pushd
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_UNIQUE_ID_METADATA_KEY,
    get_checks_on_sources_upstream_of_selected_assets,
)
from dagster_dbt.core.dbt_cli_event import DbtCliEventMessage

from orchestration import clv_fit_step
from orchestration.assets.clv_fit_step import ran_in_this_run, uses_clv_fit_step
from orchestration.headlines import HEADLINES
from orchestration.project import Manifest, raw_tables
from orchestration.raw_encodings import RawEncodingError, utf8_copies
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

    def get_asset_check_spec(
        self,
        asset_spec: Any,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> AssetCheckSpec | None:
        """The tests of a raw table are checks on its raw asset (see raw_table_check); the
        generic tests of the internal layers are no checks (see is_internal_test)."""
        check = raw_table_check(manifest, unique_id)
        if check is None:
            if is_internal_test(manifest, unique_id):
                return None
            return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if check.asset_key != asset_spec.key:
            return None
        parents = manifest["nodes"][unique_id]["depends_on"]["nodes"]
        return AssetCheckSpec(
            name=check.name,
            asset=check.asset_key,
            additional_deps=[
                self.get_asset_key(manifest["nodes"][parent])
                for parent in parents
                if parent in manifest["nodes"]
            ],
            description=manifest["nodes"][unique_id].get("description") or None,
            # dagster-dbt finds the test to run for a selected check by this key.
            metadata={DAGSTER_DBT_UNIQUE_ID_METADATA_KEY: unique_id},
            blocking=True,
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == clv_fit_step.OUTPUT_SCHEMA:
                # The CLV fit step's tables: the asset of orchestration/assets/clv_fit_step.py.
                return AssetKey([clv_fit_step.OUTPUT_SCHEMA, dbt_resource_props["name"]])
            return AssetKey(["raw", dbt_resource_props["name"]])
        if dbt_resource_props.get("schema") == CAMPAIGN_SCHEMA:
            return AssetKey([CAMPAIGN_SCHEMA, dbt_resource_props["name"]])
        # Model and seed names are unique in the project: the key is the name.
        return AssetKey(dbt_resource_props["name"])


# Layers nobody reads but the models after them (docs/architecture.md).
INTERNAL_LAYERS = frozenset({"staging", "intermediate", "quarantine"})


def is_internal_test(manifest: Mapping[str, Any], unique_id: str) -> bool:
    """Whether a dbt test is a generic test (not_null, unique, accepted_values, ...) on a
    model of an internal layer: no Dagster asset check.

    It runs in every `dbt build` like any test, and a failure fails the build
    as before; a run records an event for it only when it fails or warns
    (internal_test_messages). Every Dagster asset check costs three events a
    run (planned, step output, result): these 181 tests were about a third
    of a make run's events on the sample (tests/benchmarks/bench_run.py).
    Singular tests, and the tests of raw tables, marts, restricted lists,
    seeds and campaigns, stay checks.
    """
    node = manifest["nodes"].get(unique_id) or {}
    if node.get("resource_type") != "test" or not node.get("test_metadata"):
        return False
    attached = manifest["nodes"].get(node.get("attached_node") or "") or {}
    fqn = attached.get("fqn", [])
    return attached.get("resource_type") == "model" and len(fqn) > 2 and fqn[1] in INTERNAL_LAYERS


# The tests declared on the raw tables (the sources YAML) are checks on the raw asset.
translator = LoyaltyDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
)


def raw_table_check(manifest: Mapping[str, Any], unique_id: str) -> AssetCheckKey | None:
    """The check on a raw asset that a dbt test declared on a raw table (a source) is.

    raw_rows_reconcile and quarantined_share_below_limit also read the base and
    staging models, so dagster-dbt would find no single asset for them and log
    "Logging an AssetObservation instead of an AssetCheckResult" on every run.
    """
    node = manifest["nodes"].get(unique_id) or {}
    sources = [
        parent
        for parent in node.get("depends_on", {}).get("nodes", [])
        if parent.startswith("source.")
    ]
    if node.get("resource_type") != "test" or len(sources) != 1:
        return None
    if not node.get("file_key_name", "").startswith("sources."):
        return None
    (source,) = sources
    return AssetCheckKey(translator.get_asset_key(manifest["sources"][source]), node["name"])


def raw_table_check_result(
    event: DbtCliEventMessage, manifest: Mapping[str, Any]
) -> AssetCheckResult | None:
    """The result of a raw table's test from its dbt event; None for every other event."""
    data = event.raw_event["data"]
    if event.raw_event["info"]["name"] != "LogTestResult":
        return None
    check = raw_table_check(manifest, data.get("node_info", {}).get("unique_id", ""))
    if check is None:
        return None
    status = str(data.get("status", "")).lower()
    unique_id = data["node_info"]["unique_id"]
    return AssetCheckResult(
        asset_key=check.asset_key,
        check_name=check.name,
        passed=status == "pass",
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        # unique_id: dagster-dbt's row-count and column steps look every event's node up by it.
        metadata={
            "unique_id": unique_id,
            "status": status,
            "failed_row_count": int(data.get("num_failures") or 0),
        },
    )


def internal_test_result(
    event: DbtCliEventMessage, manifest: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(status, message) of an internal layer's test from its dbt event (is_internal_test);
    None for every other event."""
    if event.raw_event["info"]["name"] != "LogTestResult":
        return None
    data = event.raw_event["data"]
    unique_id = data.get("node_info", {}).get("unique_id", "")
    if not is_internal_test(manifest, unique_id):
        return None
    status = str(data.get("status", "")).lower()
    node = manifest["nodes"][unique_id]
    model = manifest["nodes"][node["attached_node"]]["name"]
    failures = int(data.get("num_failures") or 0)
    return status, (
        f"dbt test {node['name']} on {model}: {status}"
        + (f", {failures:,} failing rows" if failures else "")
        + " (a test of an internal layer: no asset check, see is_internal_test)"
    )


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


def with_built_metadata(
    events: Sequence[Any], invocation: DbtCliInvocation, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The dbt events, each materialization with its table's row count and its relation's
    column schema, and each headline mart's numbers and charts.

    Read once dbt has finished, through one connection: on DuckDB the build
    file opened read-only (LocalDbtCliResource makes no dbt adapter there),
    on other engines the invocation's dbt adapter. The row counts of every
    table built in one query, and the column schemas of every relation in
    another, rather than dagster-dbt's fetch_row_counts and
    fetch_column_metadata, which run a query per relation (through a thread
    pool, and dbt's get_columns_in_relation macro): measured with py-spy and
    tests/benchmarks/bench_run.py, a tenth of a make run's CPU on the sample
    for the columns, 7% of the Python process's samples for the counts.
    """
    with _metadata_query(invocation, warehouse) as query:
        built = [
            (event, node)
            for event in events
            if isinstance(event, Output) and (node := _built_node(event, invocation)) is not None
        ]
        if not built or query is None:
            yield from events
            return
        counts = _row_counts([node for _, node in built], query)
        schemas = _column_schemas(query)
        metadata_of = {
            id(event): _built_metadata(node, counts, schemas, query, invocation)
            for event, node in built
        }
        for event in events:
            metadata = metadata_of.get(id(event))
            if metadata:
                event = event.with_metadata({**event.metadata, **metadata})
            yield event


@contextlib.contextmanager
def _metadata_query(
    invocation: DbtCliInvocation, warehouse: WarehouseResource
) -> Iterator[Callable[[str], list[tuple]] | None]:
    """query(sql) -> rows on the built warehouse, or None when there is no way to ask."""
    adapter = invocation.adapter
    if adapter is None:
        engine = invocation.manifest.get("metadata", {}).get("adapter_type")
        if engine != "duckdb" or not warehouse.settings().build_path.exists():
            yield None
            return
        connection = warehouse.connect(read_only=True)
        try:
            yield lambda sql: connection.execute(sql).fetchall()
        finally:
            connection.close()
        return

    def query(sql: str) -> list[tuple]:
        with pushd(str(invocation.project_dir)), adapter.connection_named("built_metadata"):
            _, table = adapter.execute(sql, fetch=True)
        return [tuple(row) for row in table.rows]

    try:
        yield query
    finally:
        _release_adapter(invocation)


def _built_node(event: Output, invocation: DbtCliInvocation) -> Mapping[str, Any] | None:
    """The manifest node of a dbt model, seed or snapshot's output (None for other outputs)."""
    if _model_name(event) is None:
        return None
    return invocation.manifest["nodes"].get(str(event.metadata["unique_id"].value))


def _row_counts(
    nodes: Sequence[Mapping[str, Any]], query: Callable[[str], list[tuple]]
) -> dict[str, int]:
    """{unique_id: rows} of the tables built (views are not counted: each count would run
    the view's query), in one query; a relation per query if that one fails."""
    tables = {
        node["unique_id"]: node["relation_name"]
        for node in nodes
        if node.get("relation_name") and node.get("config", {}).get("materialized") != "view"
    }
    ids = list(tables)

    def counts_of(chosen: list[str]) -> dict[str, int]:
        sql = "\nunion all\n".join(
            f"select {number} as position, count(*) as row_count from {tables[unique_id]}"
            for number, unique_id in enumerate(chosen)
        )
        return {chosen[position]: int(rows) for position, rows in query(sql)}

    if not ids:
        return {}
    try:
        return counts_of(ids)
    except Exception:  # a relation that cannot be read: count the others one by one
        counts = {}
        for unique_id in ids:
            try:
                counts.update(counts_of([unique_id]))
            except Exception as error:  # the count is a view of the table, not part of it
                get_dagster_logger().warning(f"No row count for {unique_id}: {error}")
        return counts


def _column_schemas(query: Callable[[str], list[tuple]]) -> dict[tuple[str, str], TableSchema]:
    """Every relation's columns in the warehouse, by (schema, name), lower case."""
    try:
        rows = query(
            "select table_schema, table_name, column_name, data_type"
            " from information_schema.columns where table_catalog = current_database()"
            " order by table_schema, table_name, ordinal_position"
        )
    except Exception as error:  # a view of the warehouse, not part of the build
        get_dagster_logger().warning(f"No column schemas: {error}")
        return {}
    columns: dict[tuple[str, str], list[TableColumn]] = {}
    for schema, table, column, data_type in rows:
        columns.setdefault((schema.lower(), table.lower()), []).append(
            TableColumn(name=column, type=data_type)
        )
    return {key: TableSchema(columns=value) for key, value in columns.items()}


def _built_metadata(
    node: Mapping[str, Any],
    counts: Mapping[str, int],
    schemas: Mapping[tuple[str, str], TableSchema],
    query: Callable[[str], list[tuple]],
    invocation: DbtCliInvocation,
) -> dict[str, Any]:
    name = str(node["name"])
    relation = (str(node.get("schema", "")).lower(), str(node.get("alias") or name).lower())
    metadata: dict[str, Any] = {}
    if node["unique_id"] in counts:
        # The keys dagster-dbt's fetch_row_counts gives them (Dagster's table metadata).
        metadata["dagster/row_count"] = MetadataValue.int(counts[node["unique_id"]])
        storage_kind = invocation.manifest.get("metadata", {}).get("adapter_type")
        if storage_kind:
            metadata["dagster/storage_kind"] = MetadataValue.text(storage_kind)
    if relation in schemas:
        metadata["dagster/column_schema"] = MetadataValue.table_schema(schemas[relation])
    if name in HEADLINES:
        metadata.update(_headline(name, query))
    return metadata


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


def read_to_the_end(events: Iterator[Any]) -> tuple[list[Any], Exception | None]:
    """Every event of a dbt invocation, read in this thread until dbt has finished,
    and the error that ended it early, if any.

    dagster-dbt's row counts wait for dbt to finish on
    DuckDB anyway (one writer at a time), but while they wait its thread
    pool polls in a loop without sleeping: one of this machine's two cores,
    taken from dbt for the whole build (about 45 CPU seconds of a make run
    on the sample, and dbt's nodes twice as slow). Handed the finished
    events, they only do their queries.
    """
    finished: list[Any] = []
    try:
        for event in events:
            finished.append(event)
    except Exception as error:  # re-raised after the finished events are reported
        return finished, error
    return finished, None


def with_raw_table_checks(
    invocation: DbtCliInvocation,
    manifest: Mapping[str, Any],
    context: AssetExecutionContext,
    checks_to_report: set[AssetCheckKey],
) -> Iterator[Any]:
    """dagster-dbt's events of the invocation, with the raw tables' tests as their checks,
    and the internal layers' tests only as messages when they fail or warn."""
    for event in invocation.stream_raw_events():
        check_result = raw_table_check_result(event, manifest)
        internal = internal_test_result(event, manifest)
        if internal is not None:
            status, message = internal
            if status == "warn":
                context.log.warning(message)
            elif status != "pass":
                context.log.error(message)
        elif check_result is None:
            yield from event.to_default_asset_events(
                manifest=manifest,
                dagster_dbt_translator=translator,
                context=context.op_execution_context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
        elif AssetCheckKey(check_result.asset_key, check_result.check_name) in checks_to_report:
            yield check_result


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
        them once it succeeded; it first makes the UTF-8 copies of the raw
        files that are not UTF-8 (orchestration/raw_encodings.py).
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
            try:
                utf8_copies(run_settings)
            except RawEncodingError as error:
                raise Failure(description=str(error)) from None
        # The CLV fit step ran before this part of the build: the models reading its
        # tables need not warn that dbt alone does not refit (macros/clv_fit_step.sql).
        fit_step_ran = uses_clv_fit_step(manifest) and ran_in_this_run(context)
        with environment_for_dbt(
            run_settings, {clv_fit_step.RAN_VARIABLE: "1"} if fit_step_ran else None
        ):
            # The op's context: dagster-dbt reads the op's tags, which the asset
            # context only offers through a deprecated property.
            invocation = dbt.cli(arguments, context=context.op_execution_context)
            # As dagster-dbt decides: the selected checks and those on the raw tables read.
            checks_to_report = {
                *context.selected_asset_check_keys,
                *get_checks_on_sources_upstream_of_selected_assets(
                    assets_def=context.assets_def, selected_asset_keys=context.selected_asset_keys
                ),
            }
            finished, error = read_to_the_end(
                with_raw_table_checks(invocation, manifest, context, checks_to_report)
            )
            if error is not None:
                # dbt may still hold the warehouse: the events as they are, then the error.
                yield from finished
                raise error
            if run_settings.dbt_target == "spark":
                # Not read on Spark: dbt-spark's session method would start Spark in this
                # process, whose embedded metastore would then stay locked to the next step;
                # a worker process (spark_worker.py) took minutes for the counts on the tiny
                # fixture here (a JVM start, then a Spark job per table).
                context.log.info("On Spark the dbt step records no row counts or column schemas.")
                yield from finished
            else:
                yield from with_built_metadata(finished, invocation, warehouse)
        if reads_raw:
            record_state(run_settings.build_path, raw_state)

    return loyalty_dbt_models
