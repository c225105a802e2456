"""Where things live: every path the project reads or writes, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    """Paths for one run, read from LOYALTY_* environment variables with repo defaults."""

    raw_dir: Path
    warehouse_path: Path
    build_path: Path
    temp_dir: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = REPO_ROOT / "data"
        return cls(
            raw_dir=Path(env.get("LOYALTY_RAW_DIR", REPO_ROOT / "seeds" / "sample")),
            warehouse_path=Path(env.get("LOYALTY_DUCKDB_PATH", data_dir / "loyalty.duckdb")),
            build_path=Path(
                env.get("LOYALTY_DUCKDB_BUILD_PATH", data_dir / "build" / "loyalty_build.duckdb")
            ),
            temp_dir=Path(env.get("LOYALTY_DUCKDB_TEMP_DIR", data_dir / "build" / "tmp")),
        )

    def dbt_environment(self) -> dict[str, str]:
        """The environment dbt needs to find its profile and this run's files."""
        return {
            "LOYALTY_RAW_DIR": str(self.raw_dir.resolve()),
            "LOYALTY_DUCKDB_BUILD_PATH": str(self.build_path.resolve()),
            "LOYALTY_DUCKDB_TEMP_DIR": str(self.temp_dir.resolve()),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }
