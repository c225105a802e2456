"""Loyalty over time: customer_segment_history keeps one row per customer and as-of date, and
segment_migrations counts the moves between consecutive dates.

The tiny fixture is built as of 2026-03-31, then as of 2026-06-30 (its latest order date) with
one more customer exported in a file of its own, then as of 2026-06-30 again, in one warehouse,
as daily runs would.
"""

from __future__ import annotations

import csv

import duckdb
import pandas as pd
import pytest

from orchestration import headlines
from tests.dbt_runner import Warehouse
from tests.fixtures import tiny
from tests.fixtures.tiny import write_tiny_raw

FIRST_DATE = "2026-03-31"
SECOND_DATE = tiny.AS_OF_DATE
DIMENSIONS = ["value_tier", "loyalty_class", "loyalty_ladder_stage", "lifecycle_status"]
KEY = ["segment_dimension", "from_value", "to_value"]
# Created in June, exported after the first build: in the second snapshot only.
NEW_CUSTOMER = tiny._customer("c13", created_at="2026-06-10 00:00:00")


def _build_as_of(
    warehouse: Warehouse, as_of_date: str, select: tuple[str, ...] = ("+segment_migrations",)
) -> None:
    warehouse.built("--select", *select, "--vars", f"{{as_of_date: '{as_of_date}'}}")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("segment_history")
    warehouse = Warehouse(raw_dir=write_tiny_raw(root / "raw"), work_dir=root)
    _build_as_of(warehouse, FIRST_DATE)
    with (warehouse.raw_dir / "customers_june.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(NEW_CUSTOMER))
        writer.writeheader()
        writer.writerow(NEW_CUSTOMER)
    _build_as_of(warehouse, SECOND_DATE)
    # The same date again, as a second run of the day would build it; nothing upstream changed,
    # so the history and the migrations alone are built again.
    _build_as_of(warehouse, SECOND_DATE, ("customer_segment_history", "segment_migrations"))
    return warehouse


@pytest.fixture(scope="module")
def history(warehouse: Warehouse) -> pd.DataFrame:
    history = warehouse.query_df("select * from marts.customer_segment_history")
    history["as_of_date"] = history["as_of_date"].astype(str)
    return history


@pytest.fixture(scope="module")
def migrations(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.query_df("select * from marts.segment_migrations")


def test_history_has_both_dates_once_for_every_customer(history):
    assert set(history["as_of_date"]) == {FIRST_DATE, SECOND_DATE}
    assert not history.duplicated(["as_of_date", "customer_id"]).any()
    customers = {row["customer_id"] for row in tiny.CUSTOMERS}
    snapshots = dict(list(history.groupby("as_of_date")))
    assert set(snapshots[FIRST_DATE]["customer_id"]) == customers
    assert set(snapshots[SECOND_DATE]["customer_id"]) == customers | {"c13"}


def test_rebuilding_a_date_replaces_its_rows(history):
    # The second build of SECOND_DATE started after the build of FIRST_DATE: its rows replaced
    # those of the first build of SECOND_DATE, which would otherwise sit beside them.
    recorded = history.groupby("as_of_date")["recorded_at"].agg(["nunique", "min"])
    assert recorded["nunique"].tolist() == [1, 1]
    assert recorded.loc[SECOND_DATE, "min"] > recorded.loc[FIRST_DATE, "min"]


def test_full_refresh_keeps_the_history(warehouse, tmp_path):
    copy = warehouse.copy(tmp_path)
    copy.built(
        "--select", "customer_segment_history", "--full-refresh",
        "--vars", f"{{as_of_date: '{SECOND_DATE}'}}",
    )  # fmt: skip
    dates = copy.query("select distinct as_of_date from marts.customer_segment_history")
    assert sorted(str(date) for (date,) in dates) == [FIRST_DATE, SECOND_DATE]


def test_moves_worked_out_by_hand(history):
    by_customer = history.set_index(["customer_id", "as_of_date"])
    # c01 first bought on 2026-03-02 (new on 2026-03-31, more than lifecycle_new_days = 90
    # days before 2026-06-30: active) and answered the promoter survey on 2026-06-01, so its
    # attitude was unknown on 2026-03-31; on 2026-06-30 it is the fixture's true loyalty.
    # c03 answered its survey on 2026-04-01: unknown, then latent loyalty.
    # c09 and c11 first bought in June: never purchased, then new.
    expected = {
        ("c01", "loyalty_class"): ("unknown", "true_loyalty"),
        ("c01", "lifecycle_status"): ("new", "active"),
        ("c03", "loyalty_class"): ("unknown", "latent_loyalty"),
        ("c09", "lifecycle_status"): ("never_purchased", "new"),
        ("c11", "lifecycle_status"): ("never_purchased", "new"),
        ("c08", "lifecycle_status"): ("churned", "churned"),
    }
    for (customer, dimension), (before, after) in expected.items():
        assert by_customer.loc[(customer, FIRST_DATE), dimension] == before, (customer, dimension)
        assert by_customer.loc[(customer, SECOND_DATE), dimension] == after, (customer, dimension)


def _moves_in_pandas(history: pd.DataFrame) -> pd.DataFrame:
    """The migration counts from the two snapshots, by an outer merge on the customer."""
    before = history[history["as_of_date"] == FIRST_DATE]
    after = history[history["as_of_date"] == SECOND_DATE]
    frames = []
    for dimension in DIMENSIONS:
        merged = before[["customer_id", dimension]].merge(
            after[["customer_id", dimension]],
            on="customer_id",
            how="outer",
            suffixes=("_from", "_to"),
        )
        counted = (
            merged.groupby([f"{dimension}_from", f"{dimension}_to"], dropna=False)
            .size()
            .reset_index(name="count_customers")
            .rename(columns={f"{dimension}_from": "from_value", f"{dimension}_to": "to_value"})
        )
        counted["segment_dimension"] = dimension
        frames.append(counted)
    return pd.concat(frames)


def _as_dict(frame: pd.DataFrame) -> dict[tuple, int]:
    return {
        tuple(None if pd.isna(value) else value for value in key): int(count)
        for *key, count in frame[[*KEY, "count_customers"]].itertuples(index=False)
    }


def test_migration_counts_equal_the_moves_between_the_two_snapshots(history, migrations):
    assert set(migrations["previous_as_of_date"].astype(str)) == {FIRST_DATE}
    assert set(migrations["as_of_date"].astype(str)) == {SECOND_DATE}
    assert set(migrations["days_in_period"]) == {91}
    assert _as_dict(migrations) == _as_dict(_moves_in_pandas(history))
    # Every customer counts once per dimension: the twelve of the fixture and c13.
    assert migrations.groupby("segment_dimension")["count_customers"].sum().to_dict() == {
        dimension: len(tiny.CUSTOMERS) + 1 for dimension in DIMENSIONS
    }
    appeared = migrations[migrations["movement"] == "appeared"]
    assert appeared["from_value"].isna().all()
    assert appeared["count_customers"].tolist() == [1] * len(DIMENSIONS)
    assert set(migrations["movement"]) == {"moved", "stayed", "appeared"}


def test_transition_shares_add_up_to_one_per_starting_segment(migrations):
    starting_segments = migrations.groupby(["segment_dimension", "from_value"])
    shares = starting_segments["share_of_from_customers"].sum()
    assert shares.to_numpy() == pytest.approx(1.0)


def test_headlines_count_the_moves_of_the_last_period(warehouse, history):
    before = history[history["as_of_date"] == FIRST_DATE]
    after = history[history["as_of_date"] == SECOND_DATE]
    both = before.merge(after, on="customer_id", suffixes=("_before", "_after"))

    def moved(column: str, to_value: str, from_values: set[str] | None = None) -> int:
        was, now = both[f"{column}_before"], both[f"{column}_after"]
        starting = was.isin(from_values) if from_values else was != to_value
        return int((starting & (was != to_value) & (now == to_value)).sum())

    with duckdb.connect(str(warehouse.database_path), read_only=True) as connection:
        metadata = headlines.segment_migrations(lambda sql: connection.execute(sql).fetchall())
    numbers = {key: value.value for key, value in metadata.items()}
    assert numbers == {
        "last_period": f"{FIRST_DATE} to {SECOND_DATE}",
        "moved_to_true_loyalty_last_period": moved("loyalty_class", "true_loyalty"),
        "spurious_to_true_loyalty_last_period": moved(
            "loyalty_class", "true_loyalty", {"spurious_loyalty"}
        ),
        "latent_to_true_loyalty_last_period": moved(
            "loyalty_class", "true_loyalty", {"latent_loyalty"}
        ),
        "moved_to_churned_last_period": moved("lifecycle_status", "churned"),
        "new_customers_last_period": 1,  # c13
    }
    assert numbers["moved_to_true_loyalty_last_period"] >= 1  # c01, worked out above


def test_headlines_wait_for_a_second_date():
    assert headlines.segment_migrations(lambda sql: []) == {}


def test_a_customer_counted_twice_fails_the_build(warehouse, tmp_path):
    copy = warehouse.copy(tmp_path)
    guard = ("--select", "assert_segment_migrations_count_every_customer_once")
    assert copy.dbt("test", *guard).ok
    with duckdb.connect(str(copy.database_path)) as connection:
        connection.execute(
            "update marts.segment_migrations set count_customers = count_customers + 1 "
            "where segment_dimension = 'loyalty_class' and movement = 'stayed' "
            "and from_value = (select min(from_value) from marts.segment_migrations "
            "where segment_dimension = 'loyalty_class' and movement = 'stayed')"
        )
    result = copy.dbt("test", *guard)
    assert not result.ok and "assert_segment_migrations_count_every_customer_once" in result.output
