"""The dbt CLI resource runs the venv's dbt and never asks the network for dbt's version."""

from __future__ import annotations

import re

import dagster_dbt.core.resource as dagster_dbt_resource
from packaging.version import Version

from orchestration.resources import dbt_resource
from orchestration.settings import REPO_ROOT


def test_dbt_version_is_the_pinned_one_without_running_dbt(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was started to learn its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    pinned = re.search(
        r'"dbt-core==([\d.]+)"', (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    )
    assert dbt_resource()._cli_version == Version(pinned.group(1))
