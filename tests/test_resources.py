"""The dbt CLI resource runs the venv's dbt and never asks the network for dbt's version; the
warehouse resource hands a run the engine it was configured with."""

from __future__ import annotations

import re
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
from packaging.version import Version

from orchestration.resources import WarehouseResource, dbt_resource
from orchestration.settings import REPO_ROOT, Settings


def test_dbt_version_is_the_pinned_one_without_running_dbt(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was started to learn its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    pinned = re.search(
        r'"dbt-core==([\d.]+)"', (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    )
    assert dbt_resource()._cli_version == Version(pinned.group(1))


def test_a_run_on_spark_gives_dbt_the_spark_target(tmp_path):
    # A Dagster run's steps take their settings from the resource: dbt, the CLV fit step
    # and the campaign wave must see the code location's engine and Spark folder.
    settings = Settings(dbt_target="spark", spark_dir=tmp_path / "spark")
    run_settings = WarehouseResource.from_settings(settings).settings()
    assert run_settings.dbt_environment()["LOYALTY_DBT_TARGET"] == "spark"
    assert Path(run_settings.dbt_environment()["LOYALTY_SPARK_DIR"]) == tmp_path / "spark"
    assert WarehouseResource(raw_dir=str(tmp_path)).settings().dbt_target == "duckdb"


def test_a_run_gives_dbt_the_refit_cadence():
    run_settings = WarehouseResource.from_settings(Settings(clv_refit="weekly")).settings()
    assert run_settings.dbt_environment()["LOYALTY_CLV_REFIT"] == "weekly"
    assert WarehouseResource().settings().dbt_environment()["LOYALTY_CLV_REFIT"] == "daily"
