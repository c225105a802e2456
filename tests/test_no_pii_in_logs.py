"""No personal data in any log: broken lines with known e-mails and phones, then a full run.

The raw customers hold lines the CSV reader cannot parse, each with an
e-mail address and a phone number found nowhere else. After a whole refresh
through Dagster (recorded in the files of a Dagster instance configured as
make run's), none of them may appear in what was printed, in dbt's logs and
artifacts (run_results.json included), or in the Dagster run and event
databases and compute logs.
They are only in the build warehouse, whose quarantine keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from dagster import DagsterInstance

from orchestration.dagster_home import update_dagster_yaml
from orchestration.definitions import build_definitions
from orchestration.resources import WarehouseResource
from orchestration.settings import DBT_PROJECT_DIR, Settings
from tests.fixtures.tiny import write_tiny_raw

EMAILS = ["leak.one@pii-check.example", "leak.two@pii-check.example", "leak.3@pii-check.example"]
PHONES = ["13911112222", "13933334444", "13955556666"]

BROKEN_CUSTOMERS = (
    "customer_id,created_at,customer_type,full_name,email,phone\n"
    # An unquoted comma in the name: one field too many.
    f"cz1,2024-01-01,consumer,Li, Na,{EMAILS[0]},{PHONES[0]}\n"
    # A quote opened and never closed.
    f'cz2,2024-01-01,consumer,"Wang Fang,{EMAILS[1]},{PHONES[1]}\n'
).encode() + (
    # Bytes that are not UTF-8, in a line cut off without its last field.
    b"cz3,2024-01-01,consumer," + "赵敏".encode("gbk") + f",{EMAILS[2]},{PHONES[2]}".encode()
)


def _files_under(folder: Path) -> list[Path]:
    """Every file under `folder` (os.walk passes over a folder deleted while it walks: in the
    project's target folder, other tests' runs prune the dbt folders of older runs)."""
    return [Path(parent, name) for parent, _, names in os.walk(folder) for name in names]


def _leaks(path: Path, shared: bool) -> list[str]:
    """The e-mails and phones in a file; none in a file of a shared folder deleted meanwhile."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        if shared:
            return []
        raise
    return [value for value in EMAILS + PHONES if value.encode() in content]


def test_no_personal_data_in_output_logs_artifacts_or_dagster_storage(tmp_path, capfd, monkeypatch):
    raw = write_tiny_raw(tmp_path / "raw")
    (raw / "customers_broken.csv").write_bytes(BROKEN_CUSTOMERS)
    warehouse = WarehouseResource(
        raw_dir=str(raw),
        build_path=str(tmp_path / "build" / "warehouse.duckdb"),
        warehouse_path=str(tmp_path / "published" / "loyalty.duckdb"),
        exports_dir=str(tmp_path / "exports"),
    )
    # Three broken lines of 15 customers: over the default 5%, let them through.
    defs = build_definitions(warehouse, Settings(dbt_vars="{max_quarantined_share: 1}"))
    job = defs.resolve_job_def("loyalty_refresh_job")
    # The instance make run records its runs in: a DAGSTER_HOME with the project's dagster.yaml.
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    update_dagster_yaml(dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    # dbt's target and log folders of this run (dagster-dbt makes one per dbt command under
    # DBT_TARGET_PATH), here rather than in the project's target folder, which tests running
    # beside this one share and prune.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config={"ops": {"campaign_wave": {"config": {"wave_date": "2026-07-01"}}}},
            instance=instance,
            raise_on_error=False,
        )
        event_log = "\n".join(
            str(entry.user_message) + str(entry.dagster_event or "")
            for entry in instance.all_logs(result.run_id)
        )
    assert result.success

    # The lines are in quarantine, in the build warehouse ...
    with duckdb.connect(str(warehouse.settings().build_path), read_only=True) as connection:
        lines = connection.execute(
            "select string_agg(raw_line, ' ') from quarantine.quarantine_customers"
        ).fetchone()[0]
    assert all(value in lines for value in EMAILS[:2] + PHONES[:2])

    # ... and nowhere else.
    printed = capfd.readouterr()
    leaks = {
        "printed": [value for value in EMAILS + PHONES if value in printed.out + printed.err],
        "Dagster event log": [value for value in EMAILS + PHONES if value in event_log],
    }
    for folder in (dagster_home, DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs", tmp_path):
        for path in _files_under(folder):
            if path.suffix in (".duckdb", ".wal") or path.is_relative_to(raw):
                continue  # the warehouses (the quarantine keeps the lines) and the raw files
            if found := _leaks(path, shared=folder.is_relative_to(DBT_PROJECT_DIR)):
                leaks[str(path)] = found
    assert {place: found for place, found in leaks.items() if found} == {}
    # The Dagster run and event databases and the compute logs were among the files scanned.
    scanned = {path.name for path in _files_under(dagster_home)}
    assert "runs.db" in scanned
    assert any(name.endswith((".err", ".out", ".complete")) for name in scanned)
    # So were this run's dbt artifacts and log.
    dbt_files = {path.name for path in _files_under(tmp_path / "dbt_target")}
    assert {"run_results.json", "dbt.log"} <= dbt_files
