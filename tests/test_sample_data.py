"""The sample generator: deterministic, the documented columns, and the structure it plants."""

from __future__ import annotations

import filecmp
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sample_generator import ARCHETYPES, generate
from sample_generator.campaign_response import plant_earlier_waves
from sample_generator.generator import COLUMNS
from tests.dbt_runner import REPO_ROOT, Warehouse, raw_contract

END = date(2026, 10, 31)
TABLES = list(raw_contract())


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample_small")
    generate(1500, seed=7, out_dir=folder)
    return folder


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def test_same_seed_same_bytes_other_seed_other_data(small, tmp_path):
    generate(1500, seed=7, out_dir=tmp_path / "again")
    generate(1500, seed=8, out_dir=tmp_path / "other")
    for table in TABLES:
        assert filecmp.cmp(
            small / f"{table}.csv", tmp_path / "again" / f"{table}.csv", shallow=False
        )
    assert not filecmp.cmp(small / "orders.csv", tmp_path / "other" / "orders.csv", shallow=False)


@pytest.mark.parametrize("table", TABLES)
def test_files_have_the_contract_columns_in_order(small, table):
    assert list(_read(small, table).columns) == raw_contract()[table] == COLUMNS[table]


def test_every_archetype_and_customer_type_is_planted(small):
    truth = pd.read_csv(
        small / "_truth" / "planted_customers.csv", dtype=str, keep_default_na=False
    )
    assert set(truth["archetype"]) == set(ARCHETYPES)
    assert set(truth["customer_type"]) == {"consumer", "buyer", "business", "intermediary", "agent"}
    shares = truth["archetype"].value_counts(normalize=True)
    for archetype, share in ARCHETYPES.items():
        assert abs(shares[archetype] - share) < 0.04, archetype


def test_planted_purchase_patterns_hold_in_the_raw_rows(small):
    truth = pd.read_csv(
        small / "_truth" / "planted_customers.csv", dtype=str, keep_default_na=False
    )
    orders = _read(small, "orders")
    orders = orders[orders["status"] == "completed"].drop_duplicates()
    orders["day"] = pd.to_datetime(orders["ordered_at"], errors="coerce").dt.normalize()
    orders = orders.dropna(subset=["day"])
    by_customer = orders.groupby("customer_id")["day"]
    last = by_customer.max()
    archetype = truth.set_index("customer_id")["archetype"]

    prospects = archetype[archetype == "prospect"].index
    assert not orders["customer_id"].isin(prospects).any()
    churned = archetype[archetype == "churned"].index
    assert ((pd.Timestamp(END) - last.reindex(churned)).dt.days >= 365).all()
    one_time = archetype[archetype == "one_time"].index
    assert (
        orders[orders["customer_id"].isin(one_time)].groupby("customer_id")["day"].nunique() == 1
    ).all()


def test_planted_mess_counts_match_the_files(small):
    mess = pd.read_csv(small / "_truth" / "planted_mess.csv")
    planted = {(row.table, row.kind): row.count for row in mess.itertuples()}
    orders = _read(small, "orders")
    lines = _read(small, "order_lines")
    assert orders.duplicated().sum() == planted[("orders", "exact_duplicate")]
    assert lines.duplicated().sum() == planted[("order_lines", "exact_duplicate")]
    unique_orders = orders.drop_duplicates()
    assert unique_orders["order_id"].duplicated().sum() == planted[("orders", "superseded_version")]
    assert (orders["customer_id"] == "C999999").sum() == planted[("orders", "unknown_customer")]
    quantity = pd.to_numeric(lines["quantity"])
    assert (quantity <= 0).sum() == planted[("order_lines", "non_positive_quantity")]
    assert (pd.to_numeric(lines["unit_price"]) < 0).sum() == planted[
        ("order_lines", "negative_unit_price")
    ]


@pytest.mark.sample
def test_bundled_sample_is_what_the_documented_command_makes(tmp_path):
    bundled = REPO_ROOT / "seeds" / "sample"
    generate(5000, seed=20261124, out_dir=tmp_path)
    plant_earlier_waves(tmp_path, seed=20261124)  # as `make sample-data` does
    for path in [*bundled.glob("*.csv"), *(bundled / "_truth").glob("*.csv")]:
        regenerated = tmp_path / path.relative_to(bundled)
        assert filecmp.cmp(path, regenerated, shallow=False), path.name
    size = sum(path.stat().st_size for path in bundled.rglob("*") if path.is_file())
    assert size <= 10 * 1024 * 1024


def test_next_day_files_are_built_and_reconciled(tmp_path):
    from sample_generator.next_day import next_days

    raw = tmp_path / "raw"
    generate(600, seed=5, out_dir=raw, end_date=date(2026, 6, 30))
    mess = pd.read_csv(raw / "_truth" / "planted_mess.csv")
    planted_superseded = int(
        mess.loc[
            (mess["table"] == "orders") & (mess["kind"] == "superseded_version"), "count"
        ].sum()
    )
    days = next_days(raw, date(2026, 7, 1), 2, seed=3)
    assert sorted(path.name for path in raw.glob("orders_*.csv")) == [
        "orders_2026-07-01.csv",
        "orders_2026-07-02.csv",
    ]
    second = _read(raw, "orders_2026-07-02")
    late = pd.to_datetime(second["ordered_at"]) < pd.Timestamp("2026-07-02")
    returned = second["status"] == "returned"
    assert (
        late.sum()
        == days[1]["late_orders"] + days[1]["status_changes"] + 2 * days[1]["conflicting_orders"]
    )
    assert returned.sum() == days[1]["status_changes"]

    # The orders through dbt (the chain of daily builds is tests/test_incremental.py).
    # 600 customers: the generator's fixed handful of invalid rows is more than 5% of
    # the small tables (e.g. 2 of about 12 suppressions), so lift the broken-export limit.
    warehouse = Warehouse(raw_dir=raw, work_dir=tmp_path).built(
        "--select", "+orders", "+quarantine_orders", "--vars", "{max_quarantined_share: 1}"
    )
    assert warehouse.row_outcomes("orders")["superseded_version"] == planted_superseded + sum(
        day["status_changes"] for day in days
    )
    assert warehouse.query("select as_of_date from intermediate.int_as_of_date") == [
        (date(2026, 7, 2),)
    ]
    (count_new,) = warehouse.query("select count(*) from marts.orders where order_id like 'N%'")[0]
    # All but the last day's order of a customer whose row arrives only the next day.
    assert count_new == sum(day["new_orders"] + day["late_orders"] for day in days) - 1
    (count_conflicting,) = warehouse.query(
        "select count(*) from quarantine.quarantine_orders "
        "where quarantine_reason = 'conflicting_versions' and source_file like '%orders_2026-07-0%'"
    )[0]
    assert count_conflicting == 2 * sum(day["conflicting_orders"] for day in days)
