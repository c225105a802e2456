"""The Dagster instance folder (Settings.dagster_home, default data/dagster_home)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from orchestration.settings import Settings

# The instance's dagster.yaml, one top-level section at a time. An existing
# file (a DAGSTER_HOME made by an earlier version, or by hand) gets the
# sections it lacks appended; the sections it has are left as they are.
DAGSTER_YAML_SECTIONS: dict[str, str] = {
    "telemetry": """\
telemetry:
  enabled: false
""",
    # One run at a time, because DuckDB allows one writer per file (a
    # scheduled refresh and a sensor-triggered one must not overlap).
    "run_queue": """\
run_queue:
  max_concurrent_runs: 1
""",
    # Dagster's default launcher, plus the health check run monitoring needs
    # (orchestration/run_launcher.py).
    "run_launcher": """\
run_launcher:
  module: orchestration.run_launcher
  class: LocalRunLauncher
""",
    # Dagster's SQLite event log in its usual files, with one connection kept
    # open per file instead of one per event (orchestration/event_storage.py).
    "event_log_storage": """\
event_log_storage:
  module: orchestration.event_storage
  class: ProjectSqliteEventLogStorage
  config:
    dagster_home:
      env: DAGSTER_HOME
""",
    # The daemon marks a run whose process died (kill -9, out of memory, a
    # reboot) failed within a poll interval, so the queue goes on; a run not
    # started within start_timeout_seconds fails too.
    "run_monitoring": """\
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  start_timeout_seconds: 300
  max_resume_run_attempts: 0
""",
    # Schedule and sensor ticks (the raw-files sensor ticks every minute):
    # kept for 30 days, skipped ones for 7.
    "retention": """\
retention:
  schedule:
    purge_after_days: 30
  sensor:
    purge_after_days:
      skipped: 7
      failure: 30
      success: 30
""",
}


def dagster_yaml(overrides: dict[str, str] | None = None) -> str:
    """The project's dagster.yaml; overrides replace whole sections (tests shorten intervals)."""
    return "".join({**DAGSTER_YAML_SECTIONS, **(overrides or {})}.values())


def update_dagster_yaml(path: Path) -> list[str]:
    """Write the project's dagster.yaml at path, or append the sections it lacks; return those.

    A file that configures Dagster's `storage` keeps it (no event_log_storage is added).
    """
    if not path.exists():
        path.write_text(dagster_yaml(), encoding="utf-8")
        return list(DAGSTER_YAML_SECTIONS)
    text = path.read_text(encoding="utf-8")
    present = yaml.safe_load(text) or {}
    missing = [
        key for key in DAGSTER_YAML_SECTIONS if key not in present and not _conflicts(key, present)
    ]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        path.write_text(
            text + separator + "".join(DAGSTER_YAML_SECTIONS[key] for key in missing),
            encoding="utf-8",
        )
    return missing


def _conflicts(section: str, present: dict) -> bool:
    """Dagster refuses an event_log_storage section beside a `storage` section."""
    return section == "event_log_storage" and "storage" in present


def ensure_dagster_home(settings: Settings) -> Path:
    """Create the instance folder with its dagster.yaml and point DAGSTER_HOME at it.

    Dagster itself finds its instance through DAGSTER_HOME, so the variable is
    set for this process and the processes it starts (`dagster dev`).
    """
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    update_dagster_yaml(home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    return home
