"""One run at a time on a build warehouse: a second run waits, then names the run holding it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.locks import RunLockError, exclusive_lock, read_holder, run_lock
from orchestration.settings import Settings
from tests.dbt_runner import REPO_ROOT


def _settings(tmp_path: Path, wait_minutes: float) -> Settings:
    return Settings(
        build_path=tmp_path / "build" / "loyalty_build.duckdb", run_wait_minutes=wait_minutes
    )


def test_a_second_run_waits_with_a_message_then_names_the_holder(tmp_path):
    settings = _settings(tmp_path, wait_minutes=0.01)
    said = []
    with (
        exclusive_lock(settings.run_lock_path, "Dagster run abc of loyalty_refresh_job", 0),
        pytest.raises(RunLockError) as error,
        run_lock(settings, "second", said.append),
    ):
        pass
    (waiting,) = said
    assert "is in use by Dagster run abc of loyalty_refresh_job (pid" in waiting
    assert "waiting up to 0.01 minutes" in waiting
    assert f"pid {os.getpid()}, started 20" in str(error.value)
    assert "start this run again" in str(error.value)


def test_the_lock_is_free_again_when_its_holder_dies(tmp_path):
    settings = _settings(tmp_path, wait_minutes=0)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from orchestration.locks import exclusive_lock; "
            "lock = exclusive_lock(Path(sys.argv[1]), 'a run', 0); lock.__enter__(); "
            "print('held', flush=True); time.sleep(60)",
            str(settings.run_lock_path),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert read_holder(settings.run_lock_path).pid == holder.pid
        with (
            pytest.raises(RunLockError, match=f"held by a run \\(pid {holder.pid}"),
            run_lock(settings, "second", lambda _: None),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with run_lock(settings, "after the crash") as held:
        assert held.pid == os.getpid()


def test_make_run_on_a_busy_warehouse_stops_naming_the_run(tmp_path):
    settings = _settings(tmp_path, wait_minutes=0.02)
    env = {
        **os.environ,
        "LOYALTY_DUCKDB_BUILD_PATH": str(settings.build_path),
        "LOYALTY_DUCKDB_PATH": str(tmp_path / "loyalty.duckdb"),
        "LOYALTY_EXPORTS_DIR": str(tmp_path / "exports"),
        "LOYALTY_RUN_WAIT_MINUTES": "0.02",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    with exclusive_lock(settings.run_lock_path, "Dagster run abc of loyalty_refresh_job", 0):
        completed = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "run"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1
    assert "is in use by Dagster run abc of loyalty_refresh_job" in output
    assert "Another run holds the build warehouse" in completed.stderr
    assert "Could not set lock" not in output
    assert not settings.build_path.exists()
