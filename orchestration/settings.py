"""Every setting the orchestration takes from the environment, with its default, in one place.

`Settings.from_environment()` is the only code that reads the LOYALTY_*
variables and DAGSTER_HOME; every other module receives a `Settings` (the
code location builds one in definitions.py, the command line in cli.py). An
unset or empty variable means the default. dbt reads the settings of its own
target in dbt_project/profiles.yml (LOYALTY_DBT_THREADS,
LOYALTY_DUCKDB_MEMORY_LIMIT); the paths it needs are handed to it by
`Settings.dbt_environment()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DATA_DIR = REPO_ROOT / "data"
BUNDLED_SAMPLE_DIR = REPO_ROOT / "seeds" / "sample"
# How often the predictive CLV models may be refitted (orchestration.clv.tables.fit_date).
REFIT_CADENCES = ("daily", "weekly", "monthly")


def _setting(variable: str, default: Any, description: str) -> Any:
    return field(default=default, metadata={"variable": variable, "description": description})


@dataclass(frozen=True)
class Settings:
    """One run's settings; each field names its environment variable and says what it is."""

    raw_dir: Path = _setting(
        "LOYALTY_RAW_DIR", BUNDLED_SAMPLE_DIR, "Folder of the raw export files."
    )
    build_path: Path = _setting(
        "LOYALTY_DUCKDB_BUILD_PATH",
        DATA_DIR / "build" / "loyalty_build.duckdb",
        "The DuckDB file dbt builds and the campaign wave writes to.",
    )
    temp_dir: Path = _setting(
        "LOYALTY_DUCKDB_TEMP_DIR",
        DATA_DIR / "build" / "tmp",
        "Where DuckDB spills what does not fit in memory during the build.",
    )
    clv_fit_step: bool = _setting(
        "LOYALTY_CLV_FIT_STEP",
        False,
        "1: on DuckDB too, the CLV fit step (orchestration/clv_fit_step.py) makes the "
        "predictive tables between two dbt selections, as it does where dbt runs no Python "
        "models (Spark); unset: dbt's Python models make them on DuckDB.",
    )
    clv_refit: str = _setting(
        "LOYALTY_CLV_REFIT",
        "daily",
        "How often the predictive CLV models are refitted: daily, weekly (on the data as of "
        "the as-of date's Monday) or monthly (as of the 1st); a run keeps the last fit while "
        "its inputs are unchanged (dbt var clv_refit_cadence; docs/marts.md#lifetime-value).",
    )
    dbt_target: str = _setting(
        "LOYALTY_DBT_TARGET",
        "duckdb",
        "The dbt_project/profiles.yml output dbt builds on: duckdb (embedded, the default) or "
        "spark (Spark in local mode, after `make spark-venv`; docs/spark.md).",
    )
    spark_dir: Path = _setting(
        "LOYALTY_SPARK_DIR",
        DATA_DIR / "spark",
        "With LOYALTY_DBT_TARGET=spark: the folder of Spark's tables (warehouse/) and "
        "metastore (metastore_db/).",
    )
    warehouse_path: Path = _setting(
        "LOYALTY_DUCKDB_PATH",
        DATA_DIR / "loyalty.duckdb",
        "The published file BI tools read (the marts, copied after each run).",
    )
    exports_dir: Path = _setting(
        "LOYALTY_EXPORTS_DIR",
        DATA_DIR / "exports",
        "Campaign lists for marketing, one folder per wave date.",
    )
    storage_version: str = _setting(
        "LOYALTY_DUCKDB_STORAGE_VERSION",
        "v1.0.0",
        "DuckDB storage version of the published file; v1.0.0 is readable by DuckDB 1.x "
        "drivers, which most BI tools ship.",
    )
    dbt_vars: str = _setting(
        "LOYALTY_DBT_VARS",
        "",
        "dbt vars for the run's build, a YAML mapping as for `dbt --vars`, "
        "e.g. '{tier_platinum_top_share: 0.01}'.",
    )
    campaigns_file: Path = _setting(
        "LOYALTY_CAMPAIGNS_FILE",
        REPO_ROOT / "orchestration" / "campaigns" / "campaigns.yml",
        "The campaign rules.",
    )
    timezone: str = _setting(
        "LOYALTY_TIMEZONE",
        "Asia/Shanghai",
        "Time zone of the schedules and of a campaign wave's date.",
    )
    daily_cron: str = _setting(
        "LOYALTY_DAILY_CRON", "0 6 * * *", "When the daily refresh runs (cron, in the time zone)."
    )
    weekly_campaigns_cron: str = _setting(
        "LOYALTY_WEEKLY_CAMPAIGNS_CRON",
        "0 9 * * 1",
        "When the weekly campaign wave runs (cron, in the time zone).",
    )
    raw_files_cron: str = _setting(
        "LOYALTY_RAW_FILES_CRON",
        "0 * * * *",
        "When the raw files are observed and their freshness checked between refreshes (cron).",
    )
    raw_max_age_hours: float = _setting(
        "LOYALTY_RAW_MAX_AGE_HOURS",
        48.0,
        "The freshness check warns when the newest raw order is older than this.",
    )
    full_refresh: bool = _setting(
        "LOYALTY_FULL_REFRESH",
        False,
        "1 (or true): the next refresh rebuilds every model from the raw files (`make run "
        "FULL_REFRESH=1`); without it a refresh starts over only when the raw folder changed "
        "or a file already read was rewritten or removed.",
    )
    allow_stale_data: bool = _setting(
        "LOYALTY_ALLOW_STALE_DATA",
        False,
        "1 (or true): the campaign wave makes its lists even when the data's as-of date is "
        "more than max_data_age_days before the wave date (`make run ALLOW_STALE_DATA=1`, "
        "e.g. to try an old export); without it such a wave stops and nothing is published.",
    )
    run_wait_minutes: float = _setting(
        "LOYALTY_RUN_WAIT_MINUTES",
        30.0,
        "How long a run waits for another run on the same build warehouse before it gives "
        "up, naming that run; 0: stop at once.",
    )
    keep_runs: int = _setting(
        "LOYALTY_KEEP_RUNS",
        10,
        "Finished Dagster runs (events, compute logs) and dbt per-run target folders kept; "
        "older ones are deleted after each run (orchestration/retention.py).",
    )
    keep_days: float = _setting(
        "LOYALTY_KEEP_DAYS",
        30.0,
        "Runs and dbt target folders older than this many days are deleted too, even "
        "among the newest LOYALTY_KEEP_RUNS; 0: no age limit.",
    )
    dagster_home: Path = _setting(
        "DAGSTER_HOME",
        DATA_DIR / "dagster_home",
        "Dagster's instance folder: run history, schedules and sensor state.",
    )

    def __post_init__(self) -> None:
        if self.clv_refit not in REFIT_CADENCES:
            raise ValueError(
                f"LOYALTY_CLV_REFIT={self.clv_refit!r} is not a refit cadence; use one of "
                f"{', '.join(REFIT_CADENCES)}."
            )
        if self.keep_runs < 1 or self.keep_days < 0:
            raise ValueError(
                f"LOYALTY_KEEP_RUNS={self.keep_runs} must be at least 1 and "
                f"LOYALTY_KEEP_DAYS={self.keep_days:g} at least 0 (0: no age limit)."
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"LOYALTY_TIMEZONE={self.timezone!r} is not a time zone; use an IANA name "
                "such as Asia/Shanghai or Europe/Berlin."
            ) from error

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (default: this process's environment)."""
        env = os.environ if environ is None else environ
        values = {}
        for setting in fields(cls):
            text = env.get(setting.metadata["variable"], "").strip()
            if not text:
                continue
            kind = type(setting.default)
            if kind is bool:
                values[setting.name] = text.lower() in ("1", "true", "yes")
                continue
            try:
                values[setting.name] = kind(text)
            except ValueError as error:
                raise ValueError(
                    f"{setting.metadata['variable']}={text!r} is not a valid "
                    f"{kind.__name__}: {setting.metadata['description']}"
                ) from error
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, description) of every setting, for docs and `--help`."""
        return [
            (setting.metadata["variable"], str(setting.default), setting.metadata["description"])
            for setting in fields(cls)
        ]

    @property
    def run_lock_path(self) -> Path:
        """The lock one run at a time holds on the build warehouse (orchestration/locks.py)."""
        return self.build_path.with_name(f"{self.build_path.name}.run.lock")

    @property
    def raw_utf8_dir(self) -> Path:
        """The UTF-8 copies of the raw files that are not UTF-8 (orchestration/raw_encodings.py),
        beside the build warehouse that reads them."""
        return self.build_path.with_name(f"{self.build_path.stem}_raw_utf8")

    @property
    def timezone_info(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def dbt_environment(self) -> dict[str, str]:
        """The environment dbt needs to find its profile and this run's files."""
        return {
            "LOYALTY_RAW_DIR": str(self.raw_dir.resolve()),
            "LOYALTY_DUCKDB_BUILD_PATH": str(self.build_path.resolve()),
            "LOYALTY_DUCKDB_TEMP_DIR": str(self.temp_dir.resolve()),
            "LOYALTY_RAW_UTF8_DIR": str(self.raw_utf8_dir.resolve()),
            # dbt_project.yml reads it: which models make the predictive CLV tables.
            "LOYALTY_CLV_FIT_STEP": "1" if self.clv_fit_step else "",
            # dbt_project.yml reads it: the default of var clv_refit_cadence.
            "LOYALTY_CLV_REFIT": self.clv_refit,
            "LOYALTY_DBT_TARGET": self.dbt_target,
            "LOYALTY_SPARK_DIR": str(self.spark_dir.resolve()),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }


@contextmanager
def environment_for_dbt(
    settings: Settings, extra: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Set the variables dbt's profile reads (and `extra`) for the duration of one dbt call."""
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    new_values = {**settings.dbt_environment(), **(extra or {})}
    old_values = {name: os.environ.get(name) for name in new_values}
    os.environ.update(new_values)
    try:
        yield
    finally:
        for name, value in old_values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
