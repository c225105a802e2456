"""Resources shared by the assets: the dbt CLI and the warehouse files."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.project import DBT_EXECUTABLE, dbt_project
from orchestration.settings import Settings


class WarehouseResource(ConfigurableResource):
    """Where the raw files are read and the DuckDB files are written.

    Empty fields fall back to the LOYALTY_* environment variables (see
    orchestration/settings.py), so tests can point a run at a temporary folder.
    """

    raw_dir: str = ""
    build_path: str = ""
    warehouse_path: str = ""
    exports_dir: str = ""

    def settings(self) -> Settings:
        defaults = Settings.from_environment()
        build_path = Path(self.build_path) if self.build_path else defaults.build_path
        return Settings(
            raw_dir=Path(self.raw_dir) if self.raw_dir else defaults.raw_dir,
            warehouse_path=(
                Path(self.warehouse_path) if self.warehouse_path else defaults.warehouse_path
            ),
            build_path=build_path,
            temp_dir=build_path.parent / "tmp" if self.build_path else defaults.temp_dir,
            exports_dir=Path(self.exports_dir) if self.exports_dir else defaults.exports_dir,
        )

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the build warehouse (the file dbt writes)."""
        return duckdb.connect(str(self.settings().build_path), read_only=read_only)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )
