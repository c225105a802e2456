"""The raw files in Dagster: observed at the start of every refresh and on their own schedule.

Each raw asset shows its files, rows and latest record; the freshness check
runs with the observation; the dbt tests on the raw tables are checks on the
raw asset they test.
"""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance

from orchestration.definitions import build_definitions
from orchestration.settings import Settings
from tests.fixtures.tiny import write_tiny_raw


def test_the_raw_tables_tests_are_checks_on_the_raw_assets():
    graph = build_definitions().resolve_asset_graph()
    checks = {(key.asset_key, key.name) for key in graph.asset_check_keys}
    for table in ("orders", "customers", "suppressions"):
        assert (AssetKey(["raw", table]), f"{table}_raw_rows_reconcile") in checks
        assert (AssetKey(["raw", table]), f"{table}_quarantined_share_below_limit") in checks
    assert (AssetKey(["raw", "orders"]), "raw_orders_are_fresh") in checks


def test_every_refresh_starts_by_observing_the_raw_files():
    defs = build_definitions()
    refresh = defs.resolve_job_def("loyalty_refresh_job")
    steps = [node.name for node in refresh.graph.node_defs]
    assert {"observe_raw_files", "raw__orders_raw_orders_are_fresh"} <= set(steps)
    schedule = defs.resolve_schedule_def("hourly_raw_files_schedule")
    assert schedule.job_name == "observe_raw_files_job"
    assert schedule.cron_schedule == "0 * * * *"


def test_the_observation_shows_files_rows_and_latest_record(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    # A second orders file, with a quoted comma and a line the reader cannot parse.
    (raw / "orders_late.csv").write_text(
        "order_id,customer_id,ordered_at,status,channel\n"
        'o900,c01,2026-07-02 09:30:00,completed,"store, Shanghai"\n'
        "o901,c01,2026-07-03 09:30:00,completed,store,extra\n",
        encoding="utf-8",
    )
    tiny_orders = sum(1 for _ in (raw / "orders.csv").open(encoding="utf-8")) - 1
    defs = build_definitions(settings=Settings(raw_dir=raw))
    result = defs.resolve_job_def("observe_raw_files_job").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False
    )
    observations = {
        event.asset_key: event.event_specific_data.asset_observation.metadata
        for event in result.get_asset_observation_events()
    }
    assert len(observations) == 8
    orders = observations[AssetKey(["raw", "orders"])]
    assert orders["file_count"].value == 2
    assert orders["files"].value == ["orders.csv", "orders_late.csv"]
    # The unparsable line is not counted (the build quarantines it).
    assert orders["row_count"].value == tiny_orders + 1
    assert orders["latest_record_at"].value == "2026-07-02T09:30:00"
    (freshness,) = result.get_asset_check_evaluations()
    assert freshness.check_name == "raw_orders_are_fresh"
    assert not freshness.passed  # the tiny fixture's orders are from 2026
