"""Disk stays bounded: old runs and dbt's per-run target folders are pruned by count and age."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, job, op

from orchestration.retention import prune_runs, prune_target_folders
from orchestration.settings import Settings

DAY = 86_400


@op
def say_hello(context) -> None:
    context.log.info("hello")
    print("hello")  # a compute log


@job
def hello_job() -> None:
    say_hello()


def _shard(instance: DagsterInstance, run_id: str) -> Path:
    return Path(instance.event_log_storage.path_for_shard(run_id))


def test_runs_beyond_the_newest_are_deleted_with_their_events_and_logs(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        run_ids = [hello_job.execute_in_process(instance=instance).run_id for _ in range(4)]
        started = DagsterRun(job_name="hello_job", status=DagsterRunStatus.STARTED)
        instance.add_run(started)
        assert all(_shard(instance, run_id).exists() for run_id in run_ids)
        assert all((tmp_path / "storage" / run_id / "compute_logs").is_dir() for run_id in run_ids)

        # Newest first: the started run, then run_ids[3], [2]; the rest go.
        deleted = prune_runs(instance, keep=3, keep_days=0)

        assert sorted(deleted) == sorted(run_ids[:2])
        assert {run.run_id for run in instance.get_runs()} == {started.run_id, *run_ids[2:]}
        assert not any(_shard(instance, run_id).exists() for run_id in run_ids[:2])
        assert not (tmp_path / "storage" / run_ids[0]).exists()
        assert instance.all_logs(run_ids[3]) != []

        # Two days later, with a one-day limit, every finished run goes; a run
        # in progress never does.
        deleted = prune_runs(instance, keep=10, keep_days=1, now=time.time() + 2 * DAY)
        assert sorted(deleted) == sorted(run_ids[2:])
        assert [run.run_id for run in instance.get_runs()] == [started.run_id]


def test_dbt_target_folders_beyond_the_newest_or_too_old_are_deleted(tmp_path):
    now = time.time()
    ages_in_days = {
        "loyalty_dbt_models-aaaaaaa-0000001": 0.1,
        "loyalty_dbt_models-bbbbbbb-0000002": 1,
        "loyalty_dbt_models-ccccccc-0000003": 2,
        "loyalty_dbt_models-ddddddd-0000004": 40,
        "compiled": 100,  # dbt's own folders and files are not per run: kept
    }
    for name, age in ages_in_days.items():
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (now - age * DAY, now - age * DAY))
    (tmp_path / "manifest.json").write_text("{}")

    deleted = prune_target_folders(tmp_path, keep=3, keep_days=30, now=now)
    assert [path.name for path in deleted] == ["loyalty_dbt_models-ddddddd-0000004"]

    deleted = prune_target_folders(tmp_path, keep=1, keep_days=0, now=now)
    assert sorted(path.name for path in deleted) == [
        "loyalty_dbt_models-bbbbbbb-0000002",
        "loyalty_dbt_models-ccccccc-0000003",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "compiled",
        "loyalty_dbt_models-aaaaaaa-0000001",
        "manifest.json",
    ]


def test_retention_settings_are_checked():
    with pytest.raises(ValueError, match="LOYALTY_KEEP_RUNS=0 must be at least 1"):
        Settings.from_environment({"LOYALTY_KEEP_RUNS": "0"})
    assert Settings.from_environment({"LOYALTY_KEEP_DAYS": "7"}).keep_days == 7
