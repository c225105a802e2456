"""The Dagster instance folder (DAGSTER_HOME), inside the project's data folder by default."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import REPO_ROOT

DEFAULT_DAGSTER_HOME = REPO_ROOT / "data" / "dagster_home"

# Telemetry off; one run at a time, because DuckDB allows one writer per file
# (a scheduled refresh and a sensor-triggered one must not overlap).
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME (default data/dagster_home) with its dagster.yaml; set the variable."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home
