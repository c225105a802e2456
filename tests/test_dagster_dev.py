"""`make dev` (the Dagster webserver and daemon) serves the UI with the code location loaded."""

from __future__ import annotations

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


def test_dagster_dev_serves_the_code_location(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    log = (tmp_path / "dagster_dev.log").open("w")
    # As `make dev` runs it; a new session, so the whole process group
    # (command, webserver, daemon, code server) can be stopped by PID below.
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
        }
        assert [sensor["name"] for sensor in repository["sensors"]] == ["raw_files_sensor"]
        output = (tmp_path / "dagster_dev.log").read_text()
        assert "Warning" not in output, output[-4000:]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
