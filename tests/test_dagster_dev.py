"""`make dev` (the Dagster webserver and daemon) serves the UI with the code location loaded,
and stops, with every process it started, on SIGTERM or Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.dbt_runner import REPO_ROOT

QUERY = """
{ repositoriesOrError { ... on RepositoryConnection {
    nodes { name location { name } jobs { name } schedules { name } sensors { name } } } } }
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _descendants(pid: int) -> set[int]:
    """The processes below pid (children, their children, ...), from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those of pids still running (a zombie, ended but not yet collected, is not)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            running.add(pid)
    return running


def _start_dev(tmp_path: Path, port: int):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    log = (tmp_path / "dagster_dev.log").open("w")
    # As `make dev` runs it; a new session, so that whatever this test
    # leaves behind can be stopped by process group below.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "dev",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def _stop_and_time(process: subprocess.Popen, signum: int, children: set[int]) -> float:
    """Send signum to the command alone; seconds until it and all its children have ended."""
    started = time.monotonic()
    process.send_signal(signum)
    process.wait(timeout=30)
    while _alive(children) and time.monotonic() - started < 30:
        time.sleep(0.1)
    return time.monotonic() - started


def _cleanup(process: subprocess.Popen, children: set[int]) -> None:
    for pid in _alive(children | {process.pid}):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def test_dagster_dev_serves_the_code_location_and_stops_on_sigterm(tmp_path: Path):
    port = _free_port()
    process, log = _start_dev(tmp_path, port)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = _graphql(port)
                nodes = answer["data"]["repositoriesOrError"].get("nodes") or []
                if nodes:
                    break
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(1)
        else:
            raise AssertionError(
                f"dagster dev did not serve the code location; log:\n"
                f"{(tmp_path / 'dagster_dev.log').read_text()[-4000:]}"
            )
        (repository,) = answer["data"]["repositoriesOrError"]["nodes"]
        assert {job["name"] for job in repository["jobs"]} >= {
            "loyalty_refresh_job",
            "campaigns_job",
        }
        assert {schedule["name"] for schedule in repository["schedules"]} == {
            "daily_loyalty_refresh_schedule",
            "weekly_campaigns_schedule",
            "hourly_raw_files_schedule",
        }
        assert [sensor["name"] for sensor in repository["sensors"]] == [
            "raw_files_sensor",
            "retention_sensor",
        ]
        output = (tmp_path / "dagster_dev.log").read_text()
        assert "Warning" not in output, output[-4000:]

        # Webserver, daemon and the code servers they started.
        children = _descendants(process.pid)
        assert len(children) >= 3
        seconds = _stop_and_time(process, signal.SIGTERM, children)
        assert _alive(children) == set()
        assert seconds < 10
        assert process.returncode == 0
    finally:
        _cleanup(process, children)
        log.close()


def test_dagster_dev_stops_on_ctrl_c_while_starting(tmp_path: Path):
    process, log = _start_dev(tmp_path, _free_port())
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(_descendants(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        children = _descendants(process.pid)
        assert len(children) >= 2, (tmp_path / "dagster_dev.log").read_text()[-4000:]
        seconds = _stop_and_time(process, signal.SIGINT, children)
        assert _alive(children | _descendants(process.pid)) == set()
        assert seconds < 10
    finally:
        _cleanup(process, children)
        log.close()
