"""One Settings object reads the environment: its defaults, its overrides, and who receives it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from orchestration.assets.dbt import dbt_build_args
from orchestration.definitions import build_definitions
from orchestration.settings import REPO_ROOT, Settings


def test_defaults_when_nothing_is_set():
    settings = Settings.from_environment({})
    assert settings == Settings()
    assert settings.raw_dir == REPO_ROOT / "seeds" / "sample"
    assert settings.build_path == REPO_ROOT / "data" / "build" / "loyalty_build.duckdb"
    assert settings.warehouse_path == REPO_ROOT / "data" / "loyalty.duckdb"
    assert settings.dagster_home == REPO_ROOT / "data" / "dagster_home"
    assert settings.campaigns_file.is_file()
    assert (settings.timezone, settings.daily_cron, settings.weekly_campaigns_cron) == (
        "Asia/Shanghai",
        "0 6 * * *",
        "0 9 * * 1",
    )
    assert settings.raw_max_age_hours == 48.0
    assert settings.dbt_vars == ""


def test_each_variable_overrides_its_setting_and_empty_means_default():
    settings = Settings.from_environment(
        {
            "LOYALTY_RAW_DIR": "/exports/today",
            "LOYALTY_DUCKDB_PATH": "/bi/loyalty.duckdb",
            "LOYALTY_RAW_MAX_AGE_HOURS": "12.5",
            "LOYALTY_TIMEZONE": "Europe/Berlin",
            "LOYALTY_DBT_VARS": "{as_of_date: '2026-06-30'}",
            "DAGSTER_HOME": "/srv/dagster",
            "LOYALTY_EXPORTS_DIR": "",
            "LOYALTY_ALLOW_STALE_DATA": "1",
            "UNRELATED": "ignored",
        }
    )
    assert settings.raw_dir == Path("/exports/today")
    assert settings.warehouse_path == Path("/bi/loyalty.duckdb")
    assert settings.raw_max_age_hours == 12.5
    assert settings.timezone == "Europe/Berlin"
    assert settings.dbt_vars == "{as_of_date: '2026-06-30'}"
    assert settings.dagster_home == Path("/srv/dagster")
    assert settings.allow_stale_data is True and Settings().allow_stale_data is False
    assert settings.exports_dir == Settings().exports_dir
    assert settings.build_path == Settings().build_path


def test_bad_values_name_the_variable():
    with pytest.raises(ValueError, match="LOYALTY_RAW_MAX_AGE_HOURS='two days'"):
        Settings.from_environment({"LOYALTY_RAW_MAX_AGE_HOURS": "two days"})
    with pytest.raises(ValueError, match="LOYALTY_TIMEZONE='Mars/Olympus'"):
        Settings.from_environment({"LOYALTY_TIMEZONE": "Mars/Olympus"})


def test_every_setting_names_one_variable_and_says_what_it_is():
    documented = Settings.documented()
    variables = [variable for variable, _, _ in documented]
    assert len(variables) == len(set(variables))
    assert all(re.fullmatch(r"LOYALTY_[A-Z_]+|DAGSTER_HOME", name) for name in variables)
    assert all(description.endswith(".") for _, _, description in documented)


def test_no_other_module_reads_the_environment():
    package = REPO_ROOT / "orchestration"
    readers = {
        path.relative_to(REPO_ROOT).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"environ\.get\(|getenv\(|environ\[[^\]]+\](?!\s*=)", path.read_text())
    }
    assert readers == {"orchestration/settings.py"}


def test_the_code_location_receives_the_settings(tmp_path):
    settings = Settings(
        raw_dir=tmp_path / "raw",
        build_path=tmp_path / "build.duckdb",
        timezone="Europe/Berlin",
        daily_cron="30 5 * * *",
    )
    defs = build_definitions(settings=settings)
    daily = defs.resolve_schedule_def("daily_loyalty_refresh_schedule")
    weekly = defs.resolve_schedule_def("weekly_campaigns_schedule")
    assert (daily.execution_timezone, daily.cron_schedule) == ("Europe/Berlin", "30 5 * * *")
    assert (weekly.execution_timezone, weekly.cron_schedule) == ("Europe/Berlin", "0 9 * * 1")
    warehouse = defs.resources["warehouse"].settings()
    assert warehouse.raw_dir == tmp_path / "raw"
    assert warehouse.build_path == tmp_path / "build.duckdb"


@pytest.mark.parametrize(("max_age_hours", "passed"), [(6.0, False), (48.0, True)])
def test_the_freshness_check_uses_the_max_age_setting(tmp_path, max_age_hours, passed):
    # The newest raw order is ten hours old: stale for a 6-hour limit, fresh for 48 hours.
    newest = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=10)
    (tmp_path / "orders.csv").write_text(
        "order_id,ordered_at\n"
        f"o1,{(newest - timedelta(days=3)):%Y-%m-%d %H:%M:%S}\n"
        f"o2,{newest:%Y-%m-%d %H:%M:%S}\n",
        encoding="utf-8",
    )
    settings = Settings(raw_dir=tmp_path, raw_max_age_hours=max_age_hours)
    defs = build_definitions(settings=settings)
    # The raw orders and their freshness check, not the raw tables' dbt tests (checks on the
    # same asset, which need a dbt build: a selection of the asset alone would run them too).
    orders = AssetKey(["raw", "orders"])
    job = defs.resolve_job_def("observe_raw_files_job").get_subset(
        asset_selection={orders},
        asset_check_selection={AssetCheckKey(orders, "raw_orders_are_fresh")},
    )
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is passed
    assert evaluation.metadata["age_hours"].value == 10.0


def test_a_run_builds_without_unit_tests_and_with_the_vars():
    assert dbt_build_args(Settings()) == [
        "--exclude-resource-type",
        "unit_test",
        "--log-level-file",
        "info",
    ]
    with_vars = dbt_build_args(Settings(dbt_vars=" {as_of_date: '2026-06-30'} "))
    assert with_vars[-2:] == ["--vars", "{as_of_date: '2026-06-30'}"]
