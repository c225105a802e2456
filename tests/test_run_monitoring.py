"""After a crash the queue goes on: a run whose process died is marked failed, the next starts.

The dead run is one `make run` started (executed in its own process): no
code server watches it, only run monitoring with the project's health check.

The instance is configured as the project's (orchestration/dagster_home.py:
one run at a time, the run launcher with a health check, run monitoring),
with a one-second monitoring interval so the test is quick. The runs are of
tests/fixtures/sleepy_job.py, which records its process id and sleeps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from dagster import DagsterInstance, DagsterRunStatus

from orchestration.dagster_home import DAGSTER_YAML_SECTIONS, dagster_yaml, update_dagster_yaml
from tests.dbt_runner import REPO_ROOT

FAST_MONITORING = DAGSTER_YAML_SECTIONS["run_monitoring"].replace(
    "poll_interval_seconds: 30", "poll_interval_seconds: 1"
)


def _wait_for(condition, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


def test_a_killed_run_is_marked_failed_and_the_next_queued_run_starts(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The event log storage of dagster.yaml finds its files through DAGSTER_HOME.
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    (home / "dagster.yaml").write_text(dagster_yaml({"run_monitoring": FAST_MONITORING}))
    assert "poll_interval_seconds: 1\n" in (home / "dagster.yaml").read_text()
    pids = tmp_path / "pids"
    pids.mkdir()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_file: {REPO_ROOT / 'tests' / 'fixtures' / 'sleepy_job.py'}\n"
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SLEEPY_JOB_PID_DIR": str(pids),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        # The daemon imports the run launcher from this checkout.
        "PYTHONPATH": str(REPO_ROOT),
    }
    bin_dir = Path(sys.executable).parent
    # The first run as `make run` starts one: executed in its own process,
    # recorded in the instance, outside the daemon and any code server.
    first_run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from dagster import DagsterInstance\n"
            "from tests.fixtures.sleepy_job import sleepy_job\n"
            "sleepy_job.execute_in_process(instance=DagsterInstance.get())",
        ],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log_path = tmp_path / "daemon.log"
    log = log_path.open("w")
    daemon = None
    try:
        _wait_for(lambda: list(pids.glob("*.pid")), 180, "the first run to start", log_path)
        # The second, queued behind it (one run at a time).
        subprocess.run(
            [str(bin_dir / "dagster"), "job", "launch", "-w", str(workspace), "-j", "sleepy_job"],
            env=env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=180,
        )
        # A session of its own: the daemon, its code server and the run it
        # starts are stopped together below.
        daemon = subprocess.Popen(
            [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with DagsterInstance.from_config(str(home)) as instance:
            first, second = sorted(
                instance.get_run_records(), key=lambda record: record.create_timestamp
            )

            def status(record) -> DagsterRunStatus:
                return instance.get_run_by_id(record.dagster_run.run_id).status

            assert status(first) == DagsterRunStatus.STARTED
            _wait_for(
                lambda: "QueuedRunCoordinatorDaemon" in log_path.read_text(),
                120,
                "the daemon to start",
                log_path,
            )
            time.sleep(3)
            assert status(second) == DagsterRunStatus.QUEUED
            first_run.kill()
            first_run.wait(timeout=30)

            _wait_for(
                lambda: status(first) == DagsterRunStatus.FAILURE,
                60,
                "the killed run to be marked failed",
                log_path,
            )
            messages = [entry.message for entry in instance.all_logs(first.dagster_run.run_id)]
            assert any(
                f"the run's process (pid {first_run.pid}) has ended without finishing the run"
                in message
                for message in messages
            ), messages[-3:]
            second_pid = pids / f"{second.dagster_run.run_id}.pid"
            _wait_for(second_pid.exists, 120, "the queued run to start", log_path)
            assert status(second) == DagsterRunStatus.STARTED
    finally:
        first_run.kill()
        first_run.wait(timeout=30)
        for pid_file in pids.glob("*.pid"):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
        if daemon is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
        log.close()


def test_an_existing_dagster_yaml_gets_the_sections_it_lacks(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    path = tmp_path / "dagster.yaml"
    # As an earlier version wrote it, with a setting of the user's own.
    path.write_text(
        "telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 1\n"
        "run_monitoring:\n  enabled: true\n  poll_interval_seconds: 5\n"
    )
    assert update_dagster_yaml(path) == ["run_launcher", "event_log_storage", "retention"]
    config = yaml.safe_load(path.read_text())
    assert config["run_launcher"] == {
        "module": "orchestration.run_launcher",
        "class": "LocalRunLauncher",
    }
    assert config["run_monitoring"] == {"enabled": True, "poll_interval_seconds": 5}
    assert config["retention"]["sensor"]["purge_after_days"]["skipped"] == 7
    assert update_dagster_yaml(path) == []
    # A file that configures Dagster's storage keeps it: no event_log_storage beside it.
    other = tmp_path / "other.yaml"
    other.write_text("storage:\n  sqlite:\n    base_dir: /srv/dagster\n")
    assert "event_log_storage" not in update_dagster_yaml(other)
    assert "event_log_storage" not in yaml.safe_load(other.read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_launcher).__name__ == "LocalRunLauncher"
        assert type(instance.event_log_storage).__name__ == "ProjectSqliteEventLogStorage"
        assert instance.run_monitoring_enabled


def test_a_process_start_time_is_known_while_it_runs_and_gone_once_it_ends():
    from orchestration.run_launcher import _process_start_time

    before = time.time()
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = _process_start_time(process.pid)
        assert started is not None and before - 2 <= started <= time.time() + 2
        process.kill()
        # Killed but not collected yet: a zombie, which runs nothing.
        deadline = time.monotonic() + 10
        while _process_start_time(process.pid) is not None:
            assert time.monotonic() < deadline, "the killed process still looks alive"
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    assert _process_start_time(process.pid) is None
