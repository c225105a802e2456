"""Publishing: BI tools read a copy of schema `marts` that a build never locks."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from orchestration.publish import PublishedTable, PublishError, publish
from tests.dbt_runner import REPO_ROOT, Warehouse, relations
from tests.fixtures.tiny import write_tiny_raw


def test_publishes_only_the_marts_with_their_descriptions(tiny_warehouse, tmp_path):
    target = tmp_path / "loyalty.duckdb"
    published = publish(tiny_warehouse.database_path, target)

    build_marts = {
        (schema, table)
        for schema, table in relations(tiny_warehouse.database_path)
        if schema == "marts"
    }
    assert ("marts", "orders") in build_marts
    assert relations(target) == build_marts
    assert {(table.schema, table.name) for table in published} == build_marts
    with duckdb.connect(str(target), read_only=True) as connection:
        (comment,) = connection.execute(
            "select comment from duckdb_columns() "
            "where table_name = 'customers' and column_name = 'value_tier'"
        ).fetchone()
        (rows,) = connection.execute("select count(*) from marts.customers").fetchone()
        (kind,) = connection.execute(
            "select count(*) from duckdb_tables() where table_name = 'orders'"
        ).fetchone()
    assert kind == 1, "the view orders is published as a table"
    assert comment and "platinum" in comment
    assert rows == 12


def test_publishing_while_a_reader_holds_the_old_file(tiny_warehouse, tmp_path):
    target = tmp_path / "loyalty.duckdb"
    publish(tiny_warehouse.database_path, target)
    reader = duckdb.connect(str(target), read_only=True)
    try:
        publish(tiny_warehouse.database_path, target)
        # The open reader keeps its snapshot; a new reader sees the new file.
        assert reader.execute("select count(*) from marts.customers").fetchone() == (12,)
    finally:
        reader.close()
    assert ("marts", "customers") in relations(target)


def test_row_counts_read_as_english():
    # make run prints every published table with its row count: "1 row", not "1 rows".
    assert PublishedTable("marts", "value_concentration_summary", 1).rows_text == "1 row"
    assert PublishedTable("marts", "campaign_effect", 0).rows_text == "0 rows"
    assert PublishedTable("marts", "orders", 36928).rows_text == "36,928 rows"


def test_publish_without_a_build_says_what_to_do(tmp_path):
    with pytest.raises(PublishError, match="run `dbt build`"):
        publish(tmp_path / "missing.duckdb", tmp_path / "loyalty.duckdb")


def test_failed_build_publishes_nothing(tmp_path, prepared_parse):
    raw = write_tiny_raw(tmp_path / "raw")
    with (raw / "orders.csv").open(encoding="utf-8") as handle:
        rows = [
            {k: v for k, v in row.items() if k != "customer_id"} for row in csv.DictReader(handle)
        ]
    with (raw / "orders.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    warehouse = Warehouse(raw_dir=raw, work_dir=tmp_path)
    published_path = tmp_path / "published" / "loyalty.duckdb"
    env = warehouse.environment({"LOYALTY_DUCKDB_PATH": str(published_path)})
    # dbt starts from a parse made for this warehouse's profile, in its target folder.
    prepared_parse(warehouse.target_dir, warehouse.settings)

    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode != 0
    assert "missing required column(s): customer_id" in completed.stdout + completed.stderr
    assert "nothing was published" in completed.stderr
    assert not os.path.exists(published_path)


PUBLISHER = """
import sys, time
from pathlib import Path
from orchestration.publish import publish
build, target, go = (Path(argument) for argument in sys.argv[1:4])
rounds = int(sys.argv[4])
while not go.exists():
    time.sleep(0.01)
for _ in range(rounds):
    publish(build, target)
"""


def _whole_warehouse(path) -> dict[str, int]:
    """Row count of every table of schema marts, read as a BI tool would (read-only)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        return {
            name: connection.execute(f'select count(*) from marts."{name}"').fetchone()[0]
            for name in names
        }


def test_overlapping_publishes_show_readers_only_whole_warehouses(tiny_warehouse, tmp_path):
    # A copy of the build, so the publishers' read-only attach never holds up
    # tests in the other worker that build the shared tiny warehouse.
    build = tmp_path / "build" / tiny_warehouse.database_path.name
    build.parent.mkdir()
    shutil.copy(tiny_warehouse.database_path, build)
    target = tmp_path / "loyalty.duckdb"
    publish(build, target)
    whole = _whole_warehouse(target)
    assert whole["customers"] == 12
    go = tmp_path / "go"
    # Two publishers of the same file, started at the same instant, three publishes each.
    publishers = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(build), str(target)] + [str(go), "3"],
            cwd=REPO_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    reads, errors, partial = 0, [], []
    try:
        go.touch()
        while any(publisher.poll() is None for publisher in publishers):
            try:
                seen = _whole_warehouse(target)
            except duckdb.Error as error:
                errors.append(str(error))
                continue
            reads += 1
            if seen != whole:
                partial.append(seen)
    finally:
        for publisher in publishers:
            publisher.wait(timeout=120)
    assert [publisher.returncode for publisher in publishers] == [0, 0], [
        publisher.stderr.read() for publisher in publishers
    ]
    assert errors == []
    assert partial == []
    assert reads > 10
    assert _whole_warehouse(target) == whole
    assert sorted(path.name for path in tmp_path.iterdir() if "publishing" in path.name) == []


def test_a_publish_waits_for_the_one_writing(tiny_warehouse, tmp_path):
    from orchestration.locks import exclusive_lock

    target = tmp_path / "loyalty.duckdb"
    lock = tmp_path / ".loyalty.duckdb.publish.lock"
    with (
        exclusive_lock(lock, "a publish by hand", 0),
        pytest.raises(PublishError, match=r"held by a publish by hand \(pid \d+"),
    ):
        publish(tiny_warehouse.database_path, target, lock_timeout_seconds=0.5)
    assert not target.exists()
