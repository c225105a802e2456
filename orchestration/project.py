"""The dbt project as Dagster sees it, and its manifest.

The manifest (dbt_project/target/manifest.json) is made locally by `dbt parse`
(no network): at install time by `make venv`, and again whenever a file of the
dbt project is newer than the manifest, so the code location always shows the
models as they are on disk. Parsing this project takes about four seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR

# The dbt installed beside this Python (the project's virtual environment), so
# nothing depends on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}
_PROJECT_FOLDERS = ("models", "macros", "seeds", "data-tests", "analyses")


def _newest_project_file_mtime(project_dir: Path) -> float:
    candidates = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _PROJECT_FOLDERS:
        candidates.extend(
            path
            for path in (project_dir / folder).rglob("*")
            if path.suffix in _PROJECT_FILE_SUFFIXES
        )
    return max(path.stat().st_mtime for path in candidates if path.exists())


def is_manifest_stale(project: DbtProject = dbt_project) -> bool:
    """True when there is no manifest or a dbt project file changed after it was made."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    return _newest_project_file_mtime(project.project_dir) > manifest.stat().st_mtime


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` when the manifest is missing or stale; return its path."""
    if is_manifest_stale(project):
        dbt = DbtCliResource(
            project_dir=project,
            profiles_dir=str(project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        )
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project.manifest_path
