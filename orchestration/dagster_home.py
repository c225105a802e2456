"""The Dagster instance folder (Settings.dagster_home, default data/dagster_home)."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import Settings

# Telemetry off; one run at a time, because DuckDB allows one writer per file
# (a scheduled refresh and a sensor-triggered one must not overlap).
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""


def ensure_dagster_home(settings: Settings) -> Path:
    """Create the instance folder with its dagster.yaml and point DAGSTER_HOME at it.

    Dagster itself finds its instance through DAGSTER_HOME, so the variable is
    set for this process and the processes it starts (`dagster dev`).
    """
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    return home
