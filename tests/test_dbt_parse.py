"""tests/dbt_parse.py: the parse a test hands to dbt in another process is one dbt accepts."""

from __future__ import annotations

import json
import subprocess
import sys

import msgpack

from orchestration.settings import Settings
from tests.dbt_parse import PROJECT_STATE, _state_check
from tests.dbt_runner import DBT_PROJECT_DIR, REPO_ROOT, Warehouse
from tests.fixtures.tiny import write_tiny_raw


def test_the_state_check_computed_is_the_one_dbt_saved_with_the_project_parse():
    saved = msgpack.unpackb(PROJECT_STATE.read_bytes(), strict_map_key=False)["state_check"]
    computed, _ = _state_check(Settings().dbt_environment(), "")
    assert computed == saved
    # Another build file's path is another profile for dbt.
    elsewhere = Settings(build_path=PROJECT_STATE.parent / "elsewhere" / "loyalty_build.duckdb")
    other, _ = _state_check(elsewhere.dbt_environment(), "")
    assert other["profile_hash"] != saved["profile_hash"]
    assert other["vars_hash"] == saved["vars_hash"]


def test_dbt_in_another_process_reuses_the_prepared_parse(tmp_path, prepared_parse):
    warehouse = Warehouse(raw_dir=write_tiny_raw(tmp_path / "raw"), work_dir=tmp_path)
    prepared_parse(warehouse.target_dir, warehouse.settings)

    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "dbt", "parse"],
        cwd=REPO_ROOT,
        env=warehouse.environment(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout[-3000:]
    log = (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled" in log
    # The same nodes, each with the same file checksum, as the project's own parse.
    parsed = json.loads((warehouse.target_dir / "manifest.json").read_text(encoding="utf-8"))
    project = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    assert {key: node["checksum"] for key, node in parsed["nodes"].items()} == {
        key: node["checksum"] for key, node in project["nodes"].items()
    }
