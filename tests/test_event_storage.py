"""The project's Dagster event log (orchestration/event_storage.py): Dagster's files and
tables, read by Dagster's own storage, with connections kept open and checkpointed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    asset,
    materialize,
)
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.dagster_home import update_dagster_yaml
from orchestration.event_storage import ProjectSqliteEventLogStorage
from orchestration.retention import prune_runs


@asset
def counted() -> MaterializeResult:
    return MaterializeResult(metadata={"row_count": 3})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    update_dagster_yaml(tmp_path / "dagster.yaml")
    return tmp_path


def _row_counts(path: Path) -> int:
    """Events in a run's file as SQLite reads it (the log included, as any reader does)."""
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("select count(*) from event_logs").fetchone()[0]


def test_runs_are_recorded_in_dagsters_files_and_read_by_dagsters_storage(home):
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, ProjectSqliteEventLogStorage)
        result = materialize([counted], instance=instance)
        assert result.success
        run_file = home / "history" / "runs" / f"{result.run_id}.db"
        # While the run's connection is still open, another process's reader,
        # here Dagster's default storage on the same folder (what a dagster.yaml
        # without the section uses), sees every event and the materialization.
        default = SqliteEventLogStorage(str(home / "history" / "runs"))
        events = default.get_logs_for_run(result.run_id)
        assert len(events) == len(instance.all_logs(result.run_id)) == _row_counts(run_file)
        assert DagsterEventType.RUN_SUCCESS in {event.dagster_event_type for event in events}
        latest = default.get_latest_materialization_events([AssetKey("counted")])
        assert latest[AssetKey("counted")].asset_materialization.metadata["row_count"].value == 3


def test_a_checkpoint_writes_the_runs_events_into_its_file(home):
    """What the Dagster UI's file watcher waits for to show a run in progress."""

    class Unhurried(ProjectSqliteEventLogStorage):
        CHECKPOINT_SECONDS = 3600.0  # no timer during the test: checkpoint() by hand

    storage = Unhurried(str(home))
    try:
        with DagsterInstance.ephemeral() as scratch:
            storage.register_instance(scratch)
        run_id = "a" * 36
        with storage.run_connection(run_id) as connection:
            connection.exec_driver_sql("select 1")  # creates the file
        run_file = Path(storage.path_for_shard(run_id))
        storage.checkpoint()
        size = run_file.stat().st_size
        with storage.run_connection(run_id) as connection:
            for number in range(200):
                connection.exec_driver_sql(
                    "insert into event_logs (run_id, event, dagster_event_type) "
                    f"values ('{run_id}', '{'x' * 500}{number}', 'ENGINE_EVENT')"
                )
        # Committed, in the write-ahead log, not yet in the file itself.
        assert run_file.stat().st_size == size
        assert _row_counts(run_file) == 200
        storage.checkpoint()
        assert run_file.stat().st_size > size + 200 * 500
    finally:
        storage.dispose()
    # Disposed: connections closed, the log folded into the file and removed.
    assert not Path(f"{run_file}-wal").exists()


def test_pruned_runs_leave_no_file_behind_and_new_runs_go_on(home):
    with DagsterInstance.get() as instance:
        run_ids = [materialize([counted], instance=instance).run_id for _ in range(3)]
        deleted = prune_runs(instance, keep=1, keep_days=0)
        assert sorted(deleted) == sorted(run_ids[:2])
        runs_folder = home / "history" / "runs"
        assert sorted(path.name for path in runs_folder.glob(f"{run_ids[0]}*")) == []
        newest = materialize([counted], instance=instance)
        assert newest.success
        assert instance.get_latest_materialization_event(AssetKey("counted")).run_id == (
            newest.run_id
        )
