"""Shared fixtures: warehouses built by dbt from hand-made and bundled raw data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbt_runner import REPO_ROOT, Warehouse
from tests.fixtures.tiny import write_tiny_raw


def _built(warehouse: Warehouse) -> Warehouse:
    result = warehouse.build()
    assert result.ok, f"dbt build failed:\n{result.output[-6000:]}"
    return warehouse


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The dozen hand-made customers of tests/fixtures/tiny.py, built by dbt."""
    root = tmp_path_factory.mktemp("tiny")
    return _built(Warehouse(raw_dir=write_tiny_raw(root / "raw"), work_dir=root))


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The bundled sample in seeds/sample, built by dbt."""
    root = tmp_path_factory.mktemp("sample")
    return _built(Warehouse(raw_dir=REPO_ROOT / "seeds" / "sample", work_dir=Path(root)))
