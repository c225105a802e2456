"""A parse of the dbt project that the dbt commands a test starts in another process (a Dagster
job, the project's CLI) can reuse, so they parse only what changed instead of all of it.

dbt starts a command from the partial-parsing state in its target folder
(partial_parse.msgpack; dagster-dbt copies the one of DBT_TARGET_PATH into
each command's folder) when that state was made with the same vars, the same
environment variables of dbt_project.yml and the same profile. A test's
profile differs from every other's in three values, its paths: the build file
(`path`), the raw folder (`file_search_path`) and the spill folder
(`temp_directory`). The project never reads them while parsing: the raw
folder reaches DuckDB at run time, and the database name is the build
file's name, which stays the same. So a parse made with the default paths
and otherwise the same settings is the parse dbt would make for the test;
`prepare_parse` writes it into the test's target folder with the test's
profile in its state check (the hashes dbt compares, computed by dbt's own
code), so dbt accepts it.

Only then: when anything else of the profile or of the state check differs
(another file name, vars, LOYALTY_CLV_FIT_STEP), the state is made by a real
`dbt parse` with those settings and the default paths, once per test run,
shared by pytest-xdist's workers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from argparse import Namespace
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from unittest import mock

import msgpack
from filelock import FileLock

from orchestration.project import PARTIAL_PARSE_FILE
from orchestration.settings import DBT_PROJECT_DIR, Settings

# The project's own parse (ensure_manifest, at the start of the test run): default settings.
PROJECT_STATE = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE
# The profile's values that hold a test's own paths (profiles.yml) and nothing the parse reads.
_PATH_VARIABLES = ("LOYALTY_RAW_DIR", "LOYALTY_DUCKDB_BUILD_PATH", "LOYALTY_DUCKDB_TEMP_DIR")
_PATH_OPTIONS = ("file_search_path", "temp_directory")


def _state_check(environment: Mapping[str, str], dbt_vars: str) -> tuple[dict, dict]:
    """dbt's state check of a parse with this environment and these vars (the hashes it compares
    before it reuses a saved parse), and the profile's connection values it hashes."""
    state, connection = _state_check_of(tuple(sorted(environment.items())), dbt_vars)
    return copy.deepcopy(state), copy.deepcopy(connection)


@cache
def _state_check_of(environment: tuple[tuple[str, str], ...], dbt_vars: str) -> tuple[dict, dict]:
    from dbt.config.runtime import RuntimeConfig, load_profile, load_project
    from dbt.config.utils import parse_cli_vars
    from dbt.flags import get_flags, set_from_args
    from dbt.parser.manifest import ManifestLoader
    from dbt_common.context import set_invocation_context

    cli_vars = parse_cli_vars(dbt_vars) if dbt_vars else {}
    project_dir = str(DBT_PROJECT_DIR)
    with mock.patch.dict(os.environ, dict(environment)):
        set_invocation_context(dict(os.environ))
        set_from_args(
            Namespace(
                project_dir=project_dir,
                profiles_dir=project_dir,
                vars=cli_vars,
                profile=None,
                target=None,
                partial_parse=False,  # the loader need not read a saved parse
            ),
            None,
        )
        profile = load_profile(project_dir, cli_vars)
        project = load_project(project_dir, False, profile, cli_vars)
        config = RuntimeConfig.from_parts(project, profile, get_flags())
        state = ManifestLoader(config, config.load_dependencies()).build_manifest_state_check()
        return state.to_dict(), dict(config.credentials.connection_info())


def _with_default_paths(environment: Mapping[str, str]) -> dict[str, str]:
    """The environment with the default paths, the build file's name kept (dbt names the
    database after it)."""
    defaults = Settings().dbt_environment()
    build_name = Path(environment["LOYALTY_DUCKDB_BUILD_PATH"]).name
    return {
        **environment,
        **{name: defaults[name] for name in _PATH_VARIABLES},
        "LOYALTY_DUCKDB_BUILD_PATH": str(Settings().build_path.with_name(build_name).resolve()),
    }


def _only_paths_differ(connection: dict, reference: dict) -> bool:
    def without_paths(values: dict) -> dict:
        options = {
            key: value
            for key, value in (values.get("config_options") or {}).items()
            if key not in _PATH_OPTIONS
        }
        return {**values, "path": Path(values["path"]).name, "config_options": options}

    return without_paths(connection) == without_paths(reference)


def _saved_state(path: Path) -> dict | None:
    try:
        return msgpack.unpackb(path.read_bytes(), strict_map_key=False)
    except (OSError, ValueError):
        return None


def _reference(
    state: dict, environment: Mapping[str, str], dbt_vars: str, shared_dir: Path
) -> dict:
    """A saved parse whose state check is `state` (the default paths'): the project's own parse
    when it is that one, else a `dbt parse` made once into shared_dir."""
    saved = _saved_state(PROJECT_STATE)
    if saved is not None and saved["state_check"] == state:
        return saved
    key = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    target = shared_dir / f"dbt_parse_{key}"
    with FileLock(f"{target}.lock"):
        saved = _saved_state(target / PARTIAL_PARSE_FILE)
        if saved is None:
            from tests.dbt_runner import parse_into

            parse_into(target, environment, dbt_vars)
            saved = _saved_state(target / PARTIAL_PARSE_FILE)
    assert saved is not None and saved["state_check"] == state, (
        f"dbt's parse in {target} has another state check than the one computed for it"
    )
    return saved


def prepare_parse(
    target_dir: Path,
    settings: Settings,
    shared_dir: Path,
    dbt_vars: str = "",
    extra: Mapping[str, str] | None = None,
) -> None:
    """Write target_dir/partial_parse.msgpack for dbt commands run with these settings' paths
    (Settings.dbt_environment), these vars and extra variables, on top of this process's
    environment: a parse made with the default paths and all else the same.

    shared_dir: a folder all of the run's workers see (for parses made for other vars).
    """
    environment = {**os.environ, **settings.dbt_environment(), **(extra or {})}
    state, connection = _state_check(environment, dbt_vars)
    defaults = _with_default_paths(environment)
    default_state, default_connection = _state_check(defaults, dbt_vars)
    assert _only_paths_differ(connection, default_connection), (connection, default_connection)
    for name in ("vars_hash", "project_env_vars_hash", "project_hashes"):
        assert state[name] == default_state[name], name
    saved = _reference(default_state, defaults, dbt_vars, shared_dir)
    saved["state_check"] = state
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / PARTIAL_PARSE_FILE).write_bytes(msgpack.packb(saved))
