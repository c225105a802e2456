"""Dagster's default run launcher, plus the health check run monitoring needs.

Dagster's run monitoring (the daemon, enabled in the instance's dagster.yaml)
marks a run failed when its worker is gone, but only asks run launchers that
can check a worker; the default launcher cannot. Without it, a run whose
process died (`kill -9`, an out-of-memory kill, a reboot) stays STARTED for
ever, and with one run at a time no queued run starts again.

Every run of this project executes its steps in one process, which Dagster
records in the run's events ("Executing steps in process (pid: ...)"; the
code server also records the process it starts). The check looks that
process up: gone, a zombie, or a newer process that reuses the pid means the
run died.
"""

from __future__ import annotations

import psutil
from dagster import DagsterEventType, DagsterRun
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

# Process start times are in clock ticks after boot (psutil reads them from /proc on
# Linux), and the boot time itself is rounded: allow for both, in seconds.
_START_TIME_SLACK_SECONDS = 2.0


def _run_worker(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, time recorded) of the newest process that ran the run's steps, if recorded."""
    newest = None
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            newest = (int(pid.value), entry.timestamp)
    return newest


def _process_start_time(pid: int) -> float | None:
    """When process pid started (seconds since the epoch), None if no such live process."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:  # another user's live process: its start time is not ours to read
        return 0.0


def run_worker_health(instance, run_id: str) -> CheckRunHealthResult:
    """RUNNING while the process that runs the run's steps is alive, FAILED once it is gone."""
    worker = _run_worker(instance, run_id)
    if worker is None:
        # Not recorded yet: the run is starting (run monitoring's start timeout covers it).
        return CheckRunHealthResult(WorkerStatus.RUNNING, "no run process recorded yet")
    pid, recorded_at = worker
    started = _process_start_time(pid)
    if started is None or started > recorded_at + _START_TIME_SLACK_SECONDS:
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the run's process (pid {pid}) has ended without finishing the run",
        )
    return CheckRunHealthResult(WorkerStatus.RUNNING, f"the run's process (pid {pid}) is running")


class LocalRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher (runs in a process started by the code server) with a health check."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        return run_worker_health(self._instance, run.run_id)
