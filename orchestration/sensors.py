"""Sensors: a refresh when raw files are added or changed; pruning of old runs."""

import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.jobs import loyalty_refresh_job
from orchestration.project import load_manifest, raw_tables
from orchestration.raw_files import fingerprint_key, folder_fingerprint
from orchestration.resources import WarehouseResource
from orchestration.retention import prune
from orchestration.settings import DBT_PROJECT_DIR, Settings


@sensor(job=loyalty_refresh_job, minimum_interval_seconds=60, name="raw_files_sensor")
def raw_files_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    """Requests one refresh run per change of the raw folder (a file added, replaced or removed).

    The cursor holds the folder's fingerprint (file names, sizes, modification
    times). The first evaluation only records it: starting the sensor does not
    rebuild what is already there.
    """
    raw_dir = warehouse.settings().raw_dir
    fingerprint = folder_fingerprint(raw_dir, raw_tables(load_manifest()))
    previous = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(json.dumps(fingerprint, sort_keys=True))
    if previous is None:
        return SkipReason(f"Watching {raw_dir} ({len(fingerprint)} raw files).")
    if fingerprint == previous:
        return SkipReason(f"No new or changed raw files in {raw_dir}.")
    changed = sorted(
        name
        for name in set(fingerprint) | set(previous)
        if fingerprint.get(name) != previous.get(name)
    )
    return RunRequest(
        run_key=fingerprint_key(fingerprint),
        tags={"raw_files_changed": ", ".join(changed)[:1000]},
    )


def build_retention_sensor(settings: Settings) -> SensorDefinition:
    """Every ten minutes while the daemon runs: prune runs and dbt target folders (retention.py).

    On by default, so disk stays bounded without anyone switching it on.
    """

    @sensor(
        name="retention_sensor",
        minimum_interval_seconds=600,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def retention_sensor(context: SensorEvaluationContext) -> SkipReason:
        """Deletes runs and dbt target folders beyond LOYALTY_KEEP_RUNS or LOYALTY_KEEP_DAYS."""
        pruned = prune(
            context.instance, DBT_PROJECT_DIR / "target", settings.keep_runs, settings.keep_days
        )
        return SkipReason(
            f"{pruned.describe()} (keeping {settings.keep_runs} runs, {settings.keep_days:g} days)."
        )

    return retention_sensor
