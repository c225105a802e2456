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

import os
from pathlib import Path

from dagster import DagsterEventType, DagsterRun
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

# Clock resolution of the process start times in /proc, in seconds.
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
    """When process pid started (seconds since the epoch), None if no such live process.

    Linux's /proc; elsewhere only whether the pid exists is known (start time 0).
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0.0
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the command name (which may hold spaces, in parentheses):
    # state is field 3, starttime (clock ticks after boot) field 22.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    boot_time = next(
        float(line.split()[1])
        for line in (proc / "stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return boot_time + int(fields[19]) / os.sysconf("SC_CLK_TCK")


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
