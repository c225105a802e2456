"""Keep disk use bounded: old Dagster runs and dbt's per-run target folders are deleted.

Every run leaves dbt's target files in a folder of its own under
dbt_project/target/ (dagster-dbt's `<op>-<run id>-<random>`, about 25 MB on
the sample: manifest, run results, compiled SQL) and its events and compute
logs in DAGSTER_HOME. After each `make run`, and every few minutes while the
daemon runs (`retention_sensor`), everything but the newest
Settings.keep_runs runs, and what is older than Settings.keep_days, goes.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance
from dagster._core.storage.dagster_run import FINISHED_STATUSES
from dagster._core.storage.event_log import SqliteEventLogStorage

# dagster-dbt's name for the target folder of one dbt invocation:
# <op name>-<first 7 characters of the run id>-<7 random hex digits>.
_RUN_TARGET_FOLDER = re.compile(r"^\w+-[0-9a-f]{7}-[0-9a-f]{7}$")
_SECONDS_PER_DAY = 86_400


@dataclass
class Pruned:
    """What one pruning deleted."""

    run_ids: list[str] = field(default_factory=list)
    target_folders: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"deleted {len(self.run_ids)} old Dagster run(s) and "
            f"{len(self.target_folders)} dbt target folder(s)"
        )


def _expired(position: int, created: float, keep: int, keep_days: float, now: float) -> bool:
    too_many = position >= keep
    too_old = keep_days > 0 and now - created > keep_days * _SECONDS_PER_DAY
    return too_many or too_old


def _delete_event_shard(instance: DagsterInstance, run_id: str) -> None:
    """The run's own SQLite event file, which deleting its events leaves at full size."""
    storage = instance.event_log_storage
    if isinstance(storage, SqliteEventLogStorage):
        shard = Path(storage.path_for_shard(run_id))
        for path in (
            shard,
            shard.with_name(shard.name + "-wal"),
            shard.with_name(shard.name + "-shm"),
        ):
            path.unlink(missing_ok=True)


def prune_runs(
    instance: DagsterInstance, keep: int, keep_days: float, now: float | None = None
) -> list[str]:
    """Delete finished runs beyond the newest `keep` or older than keep_days (0: any age).

    A run's events, its entry in the run storage and its compute logs go.
    Runs still queued or in progress are never deleted, but count.
    """
    now = time.time() if now is None else now
    records = instance.get_run_records(order_by="create_timestamp", ascending=False)
    deleted = []
    for position, record in enumerate(records):
        run = record.dagster_run
        if run.status not in FINISHED_STATUSES:
            continue
        if _expired(position, record.create_timestamp.timestamp(), keep, keep_days, now):
            instance.delete_run(run.run_id)
            instance.compute_log_manager.delete_logs(prefix=[run.run_id])
            _delete_event_shard(instance, run.run_id)
            deleted.append(run.run_id)
    return deleted


def prune_target_folders(
    target_dir: Path, keep: int, keep_days: float, now: float | None = None
) -> list[Path]:
    """Delete dagster-dbt's per-run folders in target_dir beyond the newest `keep` or too old."""
    now = time.time() if now is None else now
    if not target_dir.is_dir():
        return []
    folders = sorted(
        (
            path
            for path in target_dir.iterdir()
            if path.is_dir() and _RUN_TARGET_FOLDER.match(path.name)
        ),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    deleted = []
    for position, folder in enumerate(folders):
        if _expired(position, folder.stat().st_mtime, keep, keep_days, now):
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder)
    return deleted


def prune(instance: DagsterInstance, target_dir: Path, keep: int, keep_days: float) -> Pruned:
    """Both of the above, with the same limits."""
    return Pruned(
        prune_runs(instance, keep, keep_days), prune_target_folders(target_dir, keep, keep_days)
    )
