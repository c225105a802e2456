"""Run the project's dbt commands against throw-away warehouses, for tests.

dbt runs in this process (dbt's programmatic `dbtRunner`), and the project
is parsed once per test process, from the partial-parsing state of the
project's own parse when there is one: every command reuses that manifest,
so a build costs only its nodes. The manifest does not depend on the
warehouse: the raw folder reaches DuckDB as its file_search_path at run time
(profiles.yml), and every warehouse file has the default build file's name
(loyalty_build.duckdb) because dbt names the database after the file.

Fixture builds leave the dbt unit tests out (they do not read the fixture's
data); tests/test_dbt_unit_tests.py runs them once.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from tempfile import mkdtemp
from unittest import mock

import duckdb
import yaml

from orchestration.raw_encodings import prepare_utf8_copies
from orchestration.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
RAW_CONTRACT_PATH = DBT_PROJECT_DIR / "models" / "staging" / "crm" / "_crm__sources.yml"
# The default build file's name, which the project's own manifest was parsed with.
WAREHOUSE_FILE_NAME = Settings().build_path.name
# A build selects a test when each node it reads is selected or upstream of one.
BUILD_OPTIONS = ("--exclude-resource-type", "unit_test", "--indirect-selection", "buildable")
_QUIET = ("--log-level", "none", "--log-level-file", "none", "--no-write-json")


@cache
def raw_contract() -> dict[str, list[str]]:
    """Each raw table of the contract (the sources YAML) with its columns, in the YAML's order."""
    sources = yaml.safe_load(RAW_CONTRACT_PATH.read_text(encoding="utf-8"))["sources"]
    (crm,) = [source for source in sources if source["name"] == "crm"]
    return {
        table["name"]: [column["name"] for column in table["columns"]] for table in crm["tables"]
    }


def count_raw_rows(folder: Path, table: str) -> int:
    """Data rows in every `<table>*.csv` file of a raw folder, read with Python's csv module."""
    total = 0
    for path in folder.glob(f"{table}*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            total += sum(1 for _ in csv.reader(handle)) - 1
    return total


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


def _settings(raw_dirs: tuple[Path, ...], work_dir: Path) -> Settings:
    return Settings(
        raw_dir=raw_dirs[0], build_path=work_dir / WAREHOUSE_FILE_NAME, temp_dir=work_dir / "tmp"
    )


def _dbt_environment(raw_dirs: tuple[Path, ...], work_dir: Path) -> dict[str, str]:
    settings = _settings(raw_dirs, work_dir)
    return {
        **settings.dbt_environment(),
        # DuckDB reads the files of several folders (its file_search_path) as one.
        "LOYALTY_RAW_DIR": ",".join(str(folder) for folder in raw_dirs),
        "DBT_TARGET_PATH": str(work_dir / "target"),  # Warehouse.target_dir
        "DBT_LOG_PATH": str(work_dir / "logs"),
    }


def _invoke(
    args: list[str], environment: dict[str, str], manifest=None
) -> tuple[DbtResult, object]:
    """One dbt command in this process; the output is what dbt would have printed."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def collect(event) -> None:
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            lines.append(event.info.msg)

    # dbt reads env_var() and its flags from os.environ; restored afterwards.
    with mock.patch.dict(os.environ, environment):
        result = dbtRunner(manifest=manifest, callbacks=[collect]).invoke([*args, *_QUIET])
    # dbt-duckdb keeps the database open for the next command of the process;
    # close it, so that the test (or another warehouse) can open the file.
    with contextlib.suppress(Exception):  # env() raises when no database was opened
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()
    if result.exception is not None:
        lines.append(f"{type(result.exception).__name__}: {result.exception}")
    return DbtResult(0 if result.success else 1, "\n".join(lines)), result.result


PARTIAL_PARSE_STATE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"


def parse_into(target: Path, environment: dict[str, str], parse_vars: str = ""):
    """`dbt parse` in this process with this environment, its files (partial_parse.msgpack
    among them) in `target`; the manifest.

    It starts from the project's own parse (tests/conftest.py, ensure_manifest):
    dbt then parses only what changed since (about a second), or the whole
    project (5 to 10 seconds) when that state was made with another profile or vars.
    """
    target.mkdir(parents=True, exist_ok=True)
    if not (target / PARTIAL_PARSE_STATE.name).exists():
        with contextlib.suppress(FileNotFoundError):
            shutil.copy(PARTIAL_PARSE_STATE, target / PARTIAL_PARSE_STATE.name)
    environment = {
        **environment,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
    }
    result, manifest = _invoke(
        ["parse", *(("--vars", parse_vars) if parse_vars else ())], environment
    )
    assert result.ok, f"dbt parse failed:\n{result.output}"
    return manifest


@cache
def _manifest(parse_vars: str = ""):
    """The project parsed once in this process, with the default settings (as the project's
    own parse). parse_vars: the vars dbt reads while parsing (raw_file_format), for the builds
    that set them; every other var is read when a command runs."""
    work_dir = Path(mkdtemp(prefix="dbt_parse_"))
    manifest = parse_into(work_dir / "target", Settings().dbt_environment(), parse_vars)
    shutil.rmtree(work_dir, ignore_errors=True)
    return manifest


@dataclass
class Warehouse:
    """A raw folder (and more_raw_dirs) plus the DuckDB file that dbt builds from it."""

    raw_dir: Path
    work_dir: Path
    more_raw_dirs: tuple[Path, ...] = ()
    # The vars the project is parsed with: raw_file_format (read while parsing) as
    # "{raw_file_format: parquet}"; a build's --vars must then repeat it.
    parse_vars: str = ""

    @property
    def raw_dirs(self) -> tuple[Path, ...]:
        return (self.raw_dir, *self.more_raw_dirs)

    @property
    def database_path(self) -> Path:
        return self.work_dir / WAREHOUSE_FILE_NAME

    @property
    def settings(self) -> Settings:
        """The settings of a run on this warehouse (its first raw folder, its build file)."""
        return _settings(self.raw_dirs, self.work_dir)

    @property
    def target_dir(self) -> Path:
        """dbt's target folder (DBT_TARGET_PATH) of the commands on this warehouse."""
        return self.work_dir / "target"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The process environment a dbt command (or the CLI) gets for this warehouse."""
        return {**os.environ, **_dbt_environment(self.raw_dirs, self.work_dir), **(extra or {})}

    def dbt(self, *args: str, utf8_copies: bool = True) -> DbtResult:
        """A dbt command on this warehouse, after the UTF-8 copies of files that are not UTF-8
        were made, as the project's CLI and Dagster job make them (utf8_copies=False: as
        dbt run by hand, without them)."""
        environment = _dbt_environment(self.raw_dirs, self.work_dir)
        if utf8_copies:
            prepare_utf8_copies(list(self.raw_dirs), Path(environment["LOYALTY_RAW_UTF8_DIR"]))
        result, _ = _invoke(list(args), environment, _manifest(self.parse_vars))
        return result

    def build(self, *args: str) -> DbtResult:
        """`dbt build` of every node but the unit tests, or of what `args` select."""
        return self.dbt("build", *BUILD_OPTIONS, *args)

    def built(self, *args: str) -> Warehouse:
        """This warehouse after a `dbt build` (as build) that must succeed."""
        result = self.build(*args)
        assert result.ok, f"dbt build failed:\n{result.output[-6000:]}"
        return self

    def copy(self, work_dir: Path, more_raw_dirs: tuple[Path, ...] = ()) -> Warehouse:
        """A copy of the built warehouse in `work_dir` that also reads the files of `more_raw_dirs`.

        The raw folders of the original keep their place: an incremental build
        of the copy reads only the files it has not read before.
        """
        work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.database_path, work_dir / WAREHOUSE_FILE_NAME)
        return Warehouse(
            self.raw_dir, work_dir, (*self.more_raw_dirs, *more_raw_dirs), self.parse_vars
        )

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def query_df(self, sql: str):
        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            return connection.execute(sql).df()

    def row_outcomes(self, table: str) -> Counter:
        """What became of the raw rows of a table: rows per row_status and per duplicate_kind."""
        outcomes: Counter = Counter()
        for status, kind, count in self.query(
            "select row_status, duplicate_kind, count(*) "
            f"from staging.base_crm__{table} group by all"
        ):
            outcomes[status] += count
            if kind is not None:
                outcomes[kind] += count
        return outcomes
