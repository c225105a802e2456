"""Shared fixtures: warehouses built by dbt from hand-made and bundled raw data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from orchestration.settings import Settings
from tests.dbt_parse import prepare_parse
from tests.dbt_runner import REPO_ROOT, Warehouse
from tests.fixtures.tiny import write_tiny_raw

# Where the tests' folders go when the machine has the room: a memory file
# system, so that DuckDB's checkpoints, Dagster's SQLite commits and the many
# small files of dbt and Dagster wait for no disk (on a busy disk, SQLite's
# commits were half of a Dagster test run's samples in py-spy). A run's
# folders hold a few hundred MB.
MEMORY_FOLDER = Path("/dev/shm")
MEMORY_NEEDED_BYTES = 2 * 2**30


def _temp_root_in_memory(config: pytest.Config) -> None:
    """Put pytest's temporary folders (tmp_path) under MEMORY_FOLDER, unless the run names its
    own (--basetemp or PYTEST_DEBUG_TEMPROOT) or the memory file system is missing or small."""
    if config.option.basetemp or "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return
    if not (MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK)):
        return
    if shutil.disk_usage(MEMORY_FOLDER).free < MEMORY_NEEDED_BYTES:
        return
    # Read by pytest when it makes the run's folder; pytest-xdist's workers
    # are handed folders inside it.
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_FOLDER)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        _temp_root_in_memory(config)
        # The code location parses the dbt project when its manifest is stale; do
        # it once here, before pytest-xdist's workers import it side by side.
        from orchestration.project import ensure_manifest

        ensure_manifest()


# The longest test files, started first (pytest-xdist then hands the others to
# whichever worker is free), so the two workers finish about together. Longest
# first by the CPU seconds of each file's tests (setup and calls, dbt and the
# other processes they wait for included) in a full run.
_LONGEST_FIRST = (
    "test_incremental.py",
    "test_dagster.py",
    "test_clv_fit_step.py",
    "test_publish.py",
    "test_switching_raw_data.py",
    "test_consent_property.py",
    "test_marts_sample.py",
    "test_segment_history.py",
    "test_raw_encodings.py",
    "test_segment_history_sample.py",
    "test_dagster_dev.py",
    "test_quarantine.py",
    "test_consent_fails_closed.py",
    "test_metrics.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return _LONGEST_FIRST.index(name) if name in _LONGEST_FIRST else len(_LONGEST_FIRST)

    items.sort(key=rank)


def _built_once(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    write_raw: Callable[[Path], Path],
) -> Warehouse:
    """A warehouse built once per test run, also when pytest-xdist runs tests in several workers.

    `write_raw(folder)` returns the raw folder (writing it into `folder` if
    need be). Under pytest-xdist the first worker to need the warehouse builds
    it in the run's shared temp folder; the others wait for the lock, then
    read it (as pytest-xdist's documentation shows).
    """
    if worker_id == "master":
        root = tmp_path_factory.mktemp(name)
        return Warehouse(raw_dir=write_raw(root), work_dir=root).built()
    root = tmp_path_factory.getbasetemp().parent / name
    built = root / "raw_dir.txt"
    with FileLock(f"{root}.lock"):
        if not root.exists():
            root.mkdir()
            raw_dir = Warehouse(raw_dir=write_raw(root), work_dir=root).built().raw_dir
            built.write_text(str(raw_dir), encoding="utf-8")
        if not built.exists():
            pytest.fail(f"the {name} warehouse failed to build in another worker")
    return Warehouse(raw_dir=Path(built.read_text(encoding="utf-8")), work_dir=root)


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Warehouse:
    """The dozen hand-made customers of tests/fixtures/tiny.py, built by dbt."""
    return _built_once(
        tmp_path_factory, worker_id, "tiny", lambda root: write_tiny_raw(root / "raw")
    )


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Warehouse:
    """The bundled sample in seeds/sample, built by dbt."""
    return _built_once(
        tmp_path_factory, worker_id, "sample", lambda _: REPO_ROOT / "seeds" / "sample"
    )


PrepareParse = Callable[..., None]


@pytest.fixture(scope="session")
def prepared_parse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> PrepareParse:
    """prepare_parse (tests/dbt_parse.py) for this run: `prepared_parse(target_dir, settings,
    dbt_vars="", extra=None)` before a test starts dbt in another process with DBT_TARGET_PATH
    target_dir, so that dbt reuses a parse instead of parsing the whole project."""
    base = tmp_path_factory.getbasetemp()
    shared_dir = base if worker_id == "master" else base.parent

    def prepare(
        target_dir: Path,
        settings: Settings,
        dbt_vars: str = "",
        extra: dict[str, str] | None = None,
    ) -> None:
        prepare_parse(target_dir, settings, shared_dir, dbt_vars, extra)

    return prepare
