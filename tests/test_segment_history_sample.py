"""Loyalty over time on the bundled sample: a copy of the sample warehouse (built as of its latest
order date) is built again 90 days earlier, a back-filled date, and the moves between the two
snapshots are the ones the generator planted (seeds/sample/_truth/planted_customers.csv).
"""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta

import pandas as pd
import pytest

from tests.dbt_runner import REPO_ROOT, Warehouse
from tests.test_metrics import _query as query_metrics

EARLIER_BY_DAYS = 90
PURCHASING = {"new", "active", "at_risk"}


@pytest.fixture(scope="module")
def built(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory):
    copy = sample_warehouse.copy(tmp_path_factory.mktemp("sample_segment_history"))
    ((latest,),) = copy.query("select max(as_of_date) from marts.customer_segment_history")
    earlier = latest - timedelta(days=EARLIER_BY_DAYS)
    copy.built("--select", "+segment_migrations", "--vars", f"{{as_of_date: '{earlier}'}}")
    history = copy.query_df("select * from marts.customer_segment_history")
    before = history[history["as_of_date"] == pd.Timestamp(earlier)]
    after = history[history["as_of_date"] == pd.Timestamp(latest)]
    customers = before.merge(after, on="customer_id", how="outer", suffixes=("_before", "_after"))
    return copy, history, customers.set_index("customer_id")


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    path = REPO_ROOT / "seeds" / "sample" / "_truth" / "planted_customers.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle))).set_index("customer_id")


def _planted(customers: pd.DataFrame, planted: pd.DataFrame, column: str, value: str):
    """The two snapshots of the customers planted with `column` = `value`."""
    return customers.loc[customers.index.intersection(planted.index[planted[column] == value])]


def test_the_back_filled_date_sits_before_the_latest_once_per_customer(built):
    warehouse, history, _ = built
    assert history["as_of_date"].nunique() == 2
    assert not history.duplicated(["as_of_date", "customer_id"]).any()
    ((days,),) = warehouse.query("select distinct days_in_period from marts.segment_migrations")
    assert days == EARLIER_BY_DAYS


def test_migration_counts_equal_the_moves_of_each_customer(built):
    warehouse, _, customers = built
    migrations = warehouse.query_df("select * from marts.segment_migrations")
    for dimension in ["value_tier", "loyalty_class", "loyalty_ladder_stage", "lifecycle_status"]:
        expected = (
            customers.groupby([f"{dimension}_before", f"{dimension}_after"], dropna=False)
            .size()
            .to_dict()
        )
        rows = migrations[migrations["segment_dimension"] == dimension]
        measured = {
            (None if pd.isna(start) else start, None if pd.isna(end) else end): count
            for start, end, count in rows[["from_value", "to_value", "count_customers"]].itertuples(
                index=False
            )
        }
        expected = {
            (None if pd.isna(start) else start, None if pd.isna(end) else end): count
            for (start, end), count in expected.items()
        }
        assert measured == expected, dimension


def test_planted_newcomers_move_from_never_purchased_to_their_first_purchase(built, planted):
    # Archetype new signs up 60 to 5 days before the export's end and buys once after: 90 days
    # earlier they had bought nothing. A few of their orders are planted mess and quarantined.
    _, _, customers = built
    newcomers = _planted(customers, planted, "archetype", "new")
    assert len(newcomers) > 200
    assert (newcomers["lifecycle_status_before"] == "never_purchased").all()
    assert newcomers["loyalty_ladder_stage_before"].isin(["suspect", "prospect"]).all()
    bought = newcomers["lifecycle_status_after"].isin(PURCHASING)
    assert bought.mean() > 0.95
    assert (newcomers.loc[bought, "loyalty_ladder_stage_after"] == "first_time_customer").all()


def test_planted_churners_never_leave_churned_and_some_cross_into_it(built, planted):
    # Archetype churned stopped buying 380 to 460 days before the end: 90 days earlier they were
    # already overdue against their rhythm (at risk) or past it (churned). They never buy again,
    # so nobody churned then is anything else now, and those at risk then crossed the line in
    # the period (the "any to churned" moves of the mart) unless their own rhythm is so slow
    # that 4 x their median interval exceeds the time since their last purchase.
    _, _, customers = built
    churners = _planted(customers, planted, "is_churned", "true")
    assert len(churners) > 200
    before, after = churners["lifecycle_status_before"], churners["lifecycle_status_after"]
    assert before.isin(["at_risk", "churned"]).all()
    assert (after[before == "churned"] == "churned").all()
    assert ((before == "at_risk") & (after == "churned")).any()
    assert (after == "churned").mean() > 0.99


def test_the_metric_migrated_customer_count_equals_the_mart(built, tmp_path):
    warehouse, _, _ = built
    build_file = tmp_path / "loyalty_build.duckdb"  # the name the semantic manifest reads
    shutil.copy(warehouse.database_path, build_file)
    dimensions = ("segment_dimension", "from_value", "to_value")
    rows = query_metrics(
        build_file,
        "--metrics",
        "migrated_customer_count",
        "--group-by",
        ",".join(f"segment_migration__{name}" for name in dimensions),
    )
    answer = {
        tuple(row[f"segment_migration__{name}"] or None for name in dimensions): int(
            float(row["migrated_customer_count"])
        )
        for row in rows
    }
    expected = {
        (dimension, start, end): count
        for dimension, start, end, count in warehouse.query(
            "select segment_dimension, from_value, to_value, count_customers"
            " from marts.segment_migrations"
        )
    }
    assert answer == expected
