"""Resources shared by the assets: the dbt CLI and the warehouse files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.project import DBT_EXECUTABLE, LocalDbtCliResource, dbt_project
from orchestration.settings import Settings


class WarehouseResource(ConfigurableResource):
    """Where the raw files are read and the DuckDB files are written.

    The code location builds it from its Settings (`from_settings`); tests
    point a run at a temporary folder by giving the paths. An empty field
    takes the Settings default; an empty temp_dir with a build_path given is
    the folder `tmp` beside the build file.
    """

    raw_dir: str = ""
    build_path: str = ""
    warehouse_path: str = ""
    exports_dir: str = ""
    temp_dir: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            raw_dir=str(settings.raw_dir),
            build_path=str(settings.build_path),
            warehouse_path=str(settings.warehouse_path),
            exports_dir=str(settings.exports_dir),
            temp_dir=str(settings.temp_dir),
        )

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
            )
            if value
        }
        if "build_path" in given and "temp_dir" not in given:
            given["temp_dir"] = given["build_path"].parent / "tmp"
        return replace(Settings(), **given)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the build warehouse (the file dbt writes)."""
        return duckdb.connect(str(self.settings().build_path), read_only=read_only)


def dbt_resource() -> DbtCliResource:
    return LocalDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )
