"""Run the project's dbt commands against a throw-away warehouse, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def relations(database_path: Path) -> set[tuple[str, str]]:
    """(schema, name) of every table and view in a DuckDB file."""
    with duckdb.connect(str(database_path), read_only=True) as connection:
        return set(
            connection.execute(
                "select schema_name, table_name from duckdb_tables() "
                "union all select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall()
        )


@dataclass
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class Warehouse:
    """A raw folder plus the DuckDB file that dbt builds from it."""

    raw_dir: Path
    work_dir: Path

    @property
    def database_path(self) -> Path:
        return self.work_dir / "warehouse.duckdb"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LOYALTY_RAW_DIR": str(self.raw_dir),
                "LOYALTY_DUCKDB_BUILD_PATH": str(self.database_path),
                "LOYALTY_DUCKDB_TEMP_DIR": str(self.work_dir / "tmp"),
                "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
                "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
                "DBT_TARGET_PATH": str(self.work_dir / "target"),
                "DBT_LOG_PATH": str(self.work_dir / "logs"),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            }
        )
        env.update(extra or {})
        return env

    def dbt(self, *args: str, env: dict[str, str] | None = None) -> DbtResult:
        completed = subprocess.run(
            [str(DBT_EXECUTABLE), *args],
            cwd=DBT_PROJECT_DIR,
            env=self.environment(env),
            capture_output=True,
            text=True,
            check=False,
        )
        return DbtResult(completed.returncode, completed.stdout + completed.stderr)

    def build(self, *args: str, env: dict[str, str] | None = None) -> DbtResult:
        result = self.dbt("build", *args, env=env)
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def query_df(self, sql: str):
        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            return connection.execute(sql).df()
