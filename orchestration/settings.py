"""Where things live: every path the project reads or writes, from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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
    exports_dir: Path

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
            exports_dir=Path(env.get("LOYALTY_EXPORTS_DIR", data_dir / "exports")),
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


@contextmanager
def environment_for_dbt(settings: Settings) -> Iterator[None]:
    """Set the variables dbt's profile reads for the duration of one dbt call."""
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    settings.temp_dir.mkdir(parents=True, exist_ok=True)
    new_values = settings.dbt_environment()
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
