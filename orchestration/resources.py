"""Resources shared by the assets: the dbt CLI and the warehouse files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource

from orchestration.locks import run_lock
from orchestration.project import DBT_EXECUTABLE, LocalDbtCliResource, dbt_project
from orchestration.settings import Settings


class WarehouseResource(ConfigurableResource):
    """Where the raw files are read and the DuckDB files are written.

    The code location builds it from its Settings (`from_settings`); tests
    point a run at a temporary folder by giving the paths. An empty field
    takes the Settings default; an empty temp_dir with a build_path given is
    the folder `tmp` beside the build file.

    A run that uses it holds the build warehouse's run lock from start to
    end (Dagster sets resources up once per run with the in-process
    executor), so a second run on the same warehouse, from the daemon or
    `make run`, waits for the first instead of failing on DuckDB's file lock.
    Sensors, which use it outside any run, take no lock.
    """

    raw_dir: str = ""
    build_path: str = ""
    warehouse_path: str = ""
    exports_dir: str = ""
    temp_dir: str = ""
    run_wait_minutes: float = Settings.run_wait_minutes
    clv_fit_step: bool = Settings.clv_fit_step
    clv_refit: str = Settings.clv_refit
    # The engine dbt builds on (duckdb or spark) and, on Spark, its tables' folder.
    dbt_target: str = Settings.dbt_target
    spark_dir: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            raw_dir=str(settings.raw_dir),
            build_path=str(settings.build_path),
            warehouse_path=str(settings.warehouse_path),
            exports_dir=str(settings.exports_dir),
            temp_dir=str(settings.temp_dir),
            run_wait_minutes=settings.run_wait_minutes,
            clv_fit_step=settings.clv_fit_step,
            clv_refit=settings.clv_refit,
            dbt_target=settings.dbt_target,
            spark_dir=str(settings.spark_dir),
        )

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseResource]:
        run = context.run
        if run is None:
            yield self
            return
        say = context.log.warning if context.log else None
        with run_lock(self.settings(), f"Dagster run {run.run_id} of {run.job_name}", say):
            yield self

    def settings(self) -> Settings:
        """Settings with this resource's paths (the run's other settings are not its business)."""
        given = {
            name: Path(value)
            for name, value in (
                ("raw_dir", self.raw_dir),
                ("build_path", self.build_path),
                ("warehouse_path", self.warehouse_path),
                ("exports_dir", self.exports_dir),
                ("temp_dir", self.temp_dir),
                ("spark_dir", self.spark_dir),
            )
            if value
        }
        if "build_path" in given and "temp_dir" not in given:
            given["temp_dir"] = given["build_path"].parent / "tmp"
        return replace(
            Settings(
                run_wait_minutes=self.run_wait_minutes,
                clv_fit_step=self.clv_fit_step,
                clv_refit=self.clv_refit,
                dbt_target=self.dbt_target,
            ),
            **given,
        )

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the build warehouse (the file dbt writes)."""
        return duckdb.connect(str(self.settings().build_path), read_only=read_only)


def dbt_resource() -> DbtCliResource:
    return LocalDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )
