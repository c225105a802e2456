"""The dbt DAG flows one way: staging and intermediate models never read a mart.

Read from the dbt manifest (made by the test session's start, see conftest.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestration.project import PUBLISHED_SCHEMA, load_manifest

LOWER_LAYER_PREFIXES = ("base_", "stg_", "int_")


def models_reading_marts(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(model, mart it depends on) for every base_/stg_/int_ model that depends on a mart."""
    nodes = manifest["nodes"]
    marts = {
        unique_id
        for unique_id, node in nodes.items()
        if node["resource_type"] == "model" and node["schema"] == PUBLISHED_SCHEMA
    }
    return sorted(
        (node["name"], nodes[parent]["name"])
        for node in nodes.values()
        if node["resource_type"] == "model" and node["name"].startswith(LOWER_LAYER_PREFIXES)
        for parent in node["depends_on"]["nodes"]
        if parent in marts
    )


def _model(name: str, schema: str, *parents: str) -> tuple[str, dict]:
    return f"model.p.{name}", {
        "name": name,
        "schema": schema,
        "resource_type": "model",
        "depends_on": {"nodes": [f"model.p.{parent}" for parent in parents]},
    }


def test_a_hand_made_circle_is_found():
    # int_signals reads the mart lifetime_value, which reads int_value: the
    # circle of layers this test exists to stop. stg_orders and the mart
    # customers (a mart may read a mart) are fine.
    manifest = {
        "nodes": dict(
            [
                _model("stg_orders", "staging"),
                _model("int_value", "intermediate", "stg_orders"),
                _model("lifetime_value", PUBLISHED_SCHEMA, "int_value"),
                _model("int_signals", "intermediate", "lifetime_value", "int_value"),
                _model("customers", PUBLISHED_SCHEMA, "lifetime_value", "int_signals"),
            ]
        )
    }
    assert models_reading_marts(manifest) == [("int_signals", "lifetime_value")]


def test_no_staging_or_intermediate_model_reads_a_mart():
    assert models_reading_marts(load_manifest()) == []
