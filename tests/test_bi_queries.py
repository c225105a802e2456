"""Every SQL block of docs/bi-queries.md runs on the built sample and answers what it says."""

from __future__ import annotations

import re

import pandas
import pytest

from tests.dbt_runner import REPO_ROOT

pytestmark = pytest.mark.sample

PAGE = REPO_ROOT / "docs" / "bi-queries.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)
NAME = re.compile(r"^-- name: (\w+)\n")


def sql_blocks(text: str) -> dict[str, str]:
    """The page's SQL blocks by the name on their first line (`-- name: ...`)."""
    blocks = {}
    for block in SQL_BLOCK.findall(text):
        match = NAME.match(block)
        assert match, f"an SQL block of {PAGE.name} does not start with '-- name: ...':\n{block}"
        assert match.group(1) not in blocks, f"two SQL blocks named {match.group(1)}"
        blocks[match.group(1)] = block
    return blocks


BLOCKS = sql_blocks(PAGE.read_text(encoding="utf-8"))


def test_blocks_are_found_by_name():
    text = "```sql\n-- name: one\nselect 1\n```\n\ntext\n\n```sql\n-- name: two\nselect 2\n```\n"
    assert sql_blocks(text) == {
        "one": "-- name: one\nselect 1\n",
        "two": "-- name: two\nselect 2\n",
    }
    assert {
        "tier_by_loyalty_class",
        "pareto_curve",
        "cohort_retention_matrix",
        "churn_trend_by_tier",
    } <= set(BLOCKS)


@pytest.fixture(scope="module")
def answers(sample_warehouse):
    """Each block's rows as dicts, from the warehouse the sample builds."""
    results = {}
    for name, sql in BLOCKS.items():
        frame = sample_warehouse.query_df(sql)
        results[name] = frame.to_dict("records")
    return results


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_each_block_runs_and_answers(answers, name):
    assert answers[name], f"{name} returned no rows on the sample"


def test_tier_by_class_covers_every_customer_and_all_profit(answers, sample_warehouse):
    rows = answers["tier_by_loyalty_class"]
    ((customers,),) = sample_warehouse.query("select count(*) from marts.customers")
    assert sum(row["count_customers"] for row in rows) == customers
    assert sum(row["share_of_profit"] for row in rows) == pytest.approx(1)
    assert rows[0]["value_tier"] == "platinum" and rows[-1]["value_tier"] == "lead"


def test_pareto_curve_reaches_all_profit_and_customers(answers):
    last = answers["pareto_curve"][-1]
    assert last["customer_share_cumulative"] == pytest.approx(1)
    assert last["cumulative_profit_share"] == pytest.approx(1)
    (headline,) = answers["pareto_headline"]
    assert headline["top_customer_share"] == pytest.approx(0.2)


def test_cohort_matrix_has_one_row_per_cohort_and_young_cohorts_have_no_year(answers):
    rows = answers["cohort_retention_matrix"]
    cohorts = [row["cohort_month"] for row in rows]
    assert cohorts == sorted(set(cohorts))
    # The oldest cohort has passed its first year and lost customers on the way;
    # the youngest (bought first in the as-of month) has no month 1 yet.
    assert 0 < rows[0]["retained_month_12"] < 1
    assert pandas.isna(rows[-1]["retained_month_1"])


def test_churn_trend_covers_twelve_months_for_every_tier_and_all(answers):
    rows = answers["churn_trend_by_tier"]
    assert len({row["month_end_date"] for row in rows}) == 12
    assert {row["value_tier"] for row in rows} == {"platinum", "gold", "iron", "lead", "all"}
