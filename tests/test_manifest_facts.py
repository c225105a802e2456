"""What Python takes from the dbt manifest: the marts to publish and the raw tables."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import AssetKey
from dagster_dbt import DbtProject

from orchestration.definitions import defs
from orchestration.project import (
    PARTIAL_PARSE_FILE,
    ensure_manifest,
    load_manifest,
    published_marts,
    raw_tables,
)
from orchestration.publish import PublishError, publish
from orchestration.raw_files import RawTable, summarize_raw_table
from orchestration.settings import DBT_PROJECT_DIR
from tests.dbt_runner import relations


def _node(name: str, schema: str, resource_type: str = "model") -> dict:
    return {"name": name, "schema": schema, "resource_type": resource_type, "columns": {}}


def _source(source_name: str, name: str, loaded_at_field: str | None) -> dict:
    return {"source_name": source_name, "name": name, "loaded_at_field": loaded_at_field}


HAND_MADE = {
    "nodes": {
        "model.p.customers": _node("customers", "marts"),
        "model.p.stg_orders": _node("stg_orders", "staging"),
        "model.p.contact_history": _node("contact_history", "campaigns"),
        "model.p.orders": _node("orders", "marts"),
        "seed.p.tiers": _node("tiers", "marts", resource_type="seed"),
        "test.p.not_null": _node("not_null_customers_id", "marts", resource_type="test"),
    },
    "sources": {
        "source.p.crm.orders": _source("crm", "orders", "cast(ordered_at as timestamp)"),
        "source.p.crm.products": _source("crm", "products", None),
        "source.p.crm.tickets": _source("crm", "tickets", "try_cast(opened_at as timestamp)"),
        "source.p.other.events": _source("other", "events", "cast(at as timestamp)"),
    },
}


def test_published_marts_are_the_models_of_schema_marts():
    # Not the staging model, the campaigns table, the seed or the test.
    assert published_marts(HAND_MADE) == ["customers", "orders"]


def test_raw_tables_are_the_crm_sources_with_their_loaded_at_column():
    assert raw_tables(HAND_MADE) == (
        RawTable("orders", "ordered_at"),
        RawTable("products", None),
        RawTable("tickets", "opened_at"),
    )


def test_the_project_marts_are_the_models_in_the_marts_folder():
    on_disk = {path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert set(published_marts(load_manifest())) == on_disk


def test_the_project_raw_tables_are_those_of_the_sources_yaml():
    path = DBT_PROJECT_DIR / "models" / "staging" / "crm" / "_crm__sources.yml"
    (crm,) = (s for s in yaml.safe_load(path.read_text("utf-8"))["sources"] if s["name"] == "crm")
    assert [table.name for table in raw_tables(load_manifest())] == [
        table["name"] for table in crm["tables"]
    ]


def test_the_published_warehouse_waits_for_every_mart_and_the_campaign_lists():
    graph = defs.get_repository_def().asset_graph
    parents = graph.get(AssetKey("published_warehouse")).parent_keys
    assert {AssetKey(name) for name in published_marts(load_manifest())} <= parents
    assert AssetKey(["campaigns", "win_back_high_value"]) in parents


def test_a_truncated_manifest_is_parsed_again(tmp_path: Path):
    """A manifest another process left half-written counts as stale: it is parsed again (into
    a target folder of its own here, from the project's partial-parsing state)."""
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE, target / PARTIAL_PARSE_FILE)
    whole = (DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8")
    truncated = target / "manifest.json"
    truncated.write_text(whole[: len(whole) // 2], encoding="utf-8")  # newer than the project
    project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=target)

    path = ensure_manifest(project)

    assert path == truncated
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert set(published_marts(manifest)) == set(published_marts(load_manifest()))
    # The parse's own folder was renamed into place and removed.
    assert [p.name for p in target.iterdir() if p.is_dir()] == []


def test_summary_reads_the_recency_column(tmp_path: Path):
    (tmp_path / "orders.csv").write_text(
        "order_id,ordered_at\no1,2026-06-01 10:00:00\no2,not a date\no3,2026-06-03 08:30:00\n",
        encoding="utf-8",
    )
    summary = summarize_raw_table(tmp_path, RawTable("orders", "ordered_at"))
    assert (summary.row_count, summary.latest_at) == (3, datetime(2026, 6, 3, 8, 30))
    assert summarize_raw_table(tmp_path, RawTable("orders", None)).latest_at is None


def test_publish_copies_the_given_marts_and_names_a_missing_one(tiny_warehouse, tmp_path):
    target = tmp_path / "loyalty.duckdb"
    published = publish(tiny_warehouse.database_path, target, marts=["customers", "orders"])
    assert [(table.schema, table.name) for table in published] == [
        ("marts", "customers"),
        ("marts", "orders"),
    ]
    assert relations(target) == {("marts", "customers"), ("marts", "orders")}
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.customers").fetchone() == (12,)
    with pytest.raises(PublishError, match="has no marts.churn_forecast: the dbt build"):
        publish(tiny_warehouse.database_path, target, marts=["customers", "churn_forecast"])
    assert relations(target) == {("marts", "customers"), ("marts", "orders")}  # left as it was
