"""The generic test not_null_columns (data-tests/generic/not_null_columns.sql): one read of a
large table for all of its never-null columns, failing on a null in any of them."""

from __future__ import annotations

import duckdb

from tests.dbt_runner import Warehouse


def _null_out(warehouse: Warehouse, column: str, rank: int) -> None:
    """Set `column` to null in the rank-th valid order line (by order_line_id) of the base model."""
    with duckdb.connect(str(warehouse.database_path)) as connection:
        connection.execute(
            f"""
            update staging.base_crm__order_lines set {column} = null
            where order_line_key = (
                select order_line_key from staging.base_crm__order_lines
                where row_status = 'valid' order by order_line_id limit 1 offset {rank}
            )
            """
        )


def test_not_null_columns_fails_on_a_null_in_any_of_its_columns(tiny_warehouse, tmp_path):
    warehouse = tiny_warehouse.copy(tmp_path / "nulls")
    tests_of_lines = ("test", "--select", "stg_crm__order_lines")
    result = warehouse.dbt(*tests_of_lines)
    assert result.ok, result.output[-3000:]
    # A price missing on one line and a product on another: two failing rows,
    # and no other test of the model fails (relationships ignore nulls).
    _null_out(warehouse, "unit_price", 0)
    _null_out(warehouse, "product_id", 1)
    result = warehouse.dbt(*tests_of_lines)
    assert not result.ok
    failed = [line for line in result.output.splitlines() if " FAIL " in f" {line} "]
    assert len(failed) == 1 and "FAIL 2 not_null_columns_stg_crm__order_lines" in failed[0], (
        result.output[-3000:]
    )
