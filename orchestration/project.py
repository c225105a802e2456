"""The dbt project as Dagster sees it, and what Python takes from its manifest.

The manifest (dbt_project/target/manifest.json) is made locally by `dbt parse`
(no network): at install time by `make venv`, and again whenever a file of the
dbt project is newer than the manifest, so the code location always shows the
models as they are on disk. It is read once per process (`load_manifest`);
the dbt assets, the published marts, the raw tables and the campaign checks
all use that one copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sqlglot
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version
from sqlglot import exp

from orchestration.raw_files import RawTable
from orchestration.settings import DBT_PROJECT_DIR, Settings, environment_for_dbt

# The dbt installed beside this Python (the project's virtual environment), so
# nothing depends on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# The schema whose models are published to BI tools, and the source of the raw export.
PUBLISHED_SCHEMA = "marts"
RAW_SOURCE = "crm"


class LocalDbtCliResource(DbtCliResource):
    """The dbt CLI of this virtual environment, without a version lookup on the network, and
    without a dbt adapter in this process on DuckDB (_initialize_dbt_core_adapter).

    dagster-dbt learns dbt's version by running `dbt --version` before the
    first command of a run, and that command asks PyPI for the newest release
    (a network call of up to a second, and a second dbt start-up of about two
    CPU seconds, on every run). The dbt it runs is the dbt-core installed
    here (DBT_EXECUTABLE), so its version is read from the installed package.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        """No dbt adapter in this process on DuckDB, dagster-dbt's elsewhere.

        dagster-dbt makes one before every dbt command (dbt's profile, project
        and base macros, about a second of a make run before dbt starts, 4.6 s
        at load 7) for its metadata queries; on DuckDB the dbt asset asks the
        build file itself once dbt has finished (orchestration/assets/dbt.py,
        with_built_metadata).
        """
        from orchestration.clv_fit_step import dbt_output_type

        if dbt_output_type(Settings.from_environment().dbt_target) == "duckdb":
            return None
        return super()._initialize_dbt_core_adapter(args)


# dbt's partial-parsing state, which a parse (and every run) starts from.
PARTIAL_PARSE_FILE = "partial_parse.msgpack"

_PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}
_PROJECT_FOLDERS = ("models", "macros", "seeds", "data-tests", "analyses")

Manifest = Mapping[str, Any]


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


def parsed_for_other_settings(manifest: Manifest, settings: Settings) -> bool:
    """True when the manifest was parsed for another way of making the predictive CLV tables
    (dbt's Python models, or the CLV fit step: LOYALTY_CLV_FIT_STEP, the target's engine)."""
    from orchestration.clv_fit_step import fits_outside_dbt, uses_clv_fit_step

    return uses_clv_fit_step(manifest) != fits_outside_dbt(settings)


def _read_manifest(project: DbtProject) -> Manifest | None:
    """The manifest, or None when it is missing or not readable JSON (e.g. left half-written
    by a process that stopped while writing it)."""
    try:
        return json.loads(project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _parse(project: DbtProject, settings: Settings) -> None:
    """`dbt parse` into a folder of its own beside the target folder, whose files then replace
    the target folder's by renaming: a reader (or a second parse at the same time) sees the
    old manifest or the new one, never a half-written file."""
    target = project.project_dir / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    try:
        # The partial-parsing state the parse starts from (dagster-dbt copies it only
        # from the folder DBT_TARGET_PATH names).
        with contextlib.suppress(FileNotFoundError):
            shutil.copy(target / PARTIAL_PARSE_FILE, scratch / PARTIAL_PARSE_FILE)
        dbt = LocalDbtCliResource(
            project_dir=project,
            profiles_dir=str(project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        )
        with environment_for_dbt(settings):
            dbt.cli(["parse", "--quiet"], target_path=scratch).wait()
        # The manifest last: its time stamp tells whether the parse is current.
        made = sorted(
            (path for path in scratch.iterdir() if path.is_file()),
            key=lambda path: path.name == "manifest.json",
        )
        for path in made:
            os.replace(path, target / path.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _current_manifest(project: DbtProject, settings: Settings | None) -> Manifest:
    """The manifest, after `dbt parse` when it is missing, unreadable, stale or parsed for
    other settings."""
    settings = settings or Settings.from_environment()
    if not is_manifest_stale(project):
        manifest = _read_manifest(project)
        if manifest is not None and not parsed_for_other_settings(manifest, settings):
            return manifest
    _parse(project, settings)
    manifest = _read_manifest(project)
    if manifest is None:
        raise RuntimeError(f"dbt parse left no readable manifest at {project.manifest_path}.")
    return manifest


def ensure_manifest(project: DbtProject = dbt_project, settings: Settings | None = None) -> Path:
    """Run `dbt parse` when the manifest is missing, unreadable or stale; return its path.

    dbt parses with the environment the runs give it (Settings.dbt_environment),
    so its partial-parsing state (target/partial_parse.msgpack, which every run
    starts from) holds the same profile: with another profile dbt parses the
    whole project again on every run.
    """
    _current_manifest(project, settings)
    return project.manifest_path


@cache
def load_manifest() -> Manifest:
    """The dbt manifest, made first if missing or stale, read once per process (a 3 MB file)."""
    return _current_manifest(dbt_project, None)


def _models(manifest: Manifest) -> list[Mapping[str, Any]]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def published_marts(manifest: Manifest) -> list[str]:
    """The models BI tools read: every model in schema `marts`, by name."""
    return sorted(node["name"] for node in _models(manifest) if node["schema"] == PUBLISHED_SCHEMA)


def mart_columns(manifest: Manifest) -> dict[str, set[str]]:
    """{mart name: documented column names} of the published marts."""
    return {
        node["name"]: set(node["columns"])
        for node in _models(manifest)
        if node["schema"] == PUBLISHED_SCHEMA
    }


def model_columns(manifest: Manifest, name: str) -> dict[str, str]:
    """{column: data type} of one model, in the order of its YAML (its contract)."""
    (node,) = (node for node in _models(manifest) if node["name"] == name)
    return {column: spec["data_type"] for column, spec in node["columns"].items()}


def _column_of(loaded_at_field: str | None) -> str | None:
    """The column a source's loaded_at_field reads, e.g. `cast(ordered_at as timestamp)`."""
    if not loaded_at_field:
        return None
    column = sqlglot.parse_one(loaded_at_field, dialect="duckdb").find(exp.Column)
    return column.name if column else None


def raw_tables(manifest: Manifest) -> tuple[RawTable, ...]:
    """The tables of source `crm` (in the order of its YAML), with their loaded_at_field column."""
    return tuple(
        RawTable(source["name"], _column_of(source.get("loaded_at_field")))
        for source in manifest["sources"].values()
        if source["source_name"] == RAW_SOURCE
    )
