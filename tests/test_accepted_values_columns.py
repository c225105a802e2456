"""The generic test accepted_values_columns (data-tests/generic/accepted_values_columns.sql):
one read of a model for the accepted values of several columns; a null is accepted, text
values are compared quoted and numbers unquoted."""

from __future__ import annotations

import duckdb

from tests.dbt_runner import Warehouse


def _set(warehouse: Warehouse, assignment: str, rank: int) -> None:
    """Apply `assignment` to the rank-th row (by customer_id) of marts.customer_segment_tier."""
    with duckdb.connect(str(warehouse.database_path)) as connection:
        connection.execute(
            f"""
            update marts.customer_segment_tier set {assignment}
            where customer_id = (
                select customer_id from marts.customer_segment_tier
                order by customer_id limit 1 offset {rank}
            )
            """
        )


def _failures(output: str) -> list[str]:
    return [line for line in output.splitlines() if " FAIL " in f" {line} "]


def test_accepted_values_columns_fails_on_a_value_not_accepted_in_any_of_its_columns(
    tiny_warehouse, tmp_path
):
    warehouse = tiny_warehouse.copy(tmp_path / "values")
    tests_of_tiers = ("test", "--select", "customer_segment_tier")
    result = warehouse.dbt(*tests_of_tiers)
    assert result.ok, result.output[-3000:]
    # Nulls are accepted (as by dbt's accepted_values): no failure.
    _set(warehouse, "recency_score = null, frequency_score = null", 0)
    result = warehouse.dbt(*tests_of_tiers)
    assert result.ok, result.output[-3000:]
    # A text column and a number column out of their lists on two rows, and a
    # third row with both wrong: three failing combinations of the columns'
    # values, and no other test of the model fails.
    _set(warehouse, "value_tier = 'bronze'", 1)
    _set(warehouse, "monetary_score = 6", 2)
    _set(warehouse, "value_tier = 'bronze', monetary_score = 6", 3)
    result = warehouse.dbt(*tests_of_tiers)
    assert not result.ok
    failed = _failures(result.output)
    assert len(failed) == 1, result.output[-3000:]
    assert "FAIL 3 accepted_values_columns_customer_segment_tier" in failed[0], failed
