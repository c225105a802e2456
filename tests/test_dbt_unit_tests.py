"""The dbt unit tests (`unit_tests:` in the models' YAML), run once here instead of in every build.

dbt mocks a unit test's inputs but reads their column types from the
warehouse, so they run against a copy of the built tiny fixture (other
tests read the fixture at the same time).
"""

from __future__ import annotations


def test_every_dbt_unit_test_passes(tiny_warehouse, tmp_path):
    result = tiny_warehouse.copy(tmp_path).dbt("test", "--select", "test_type:unit")
    assert result.ok, result.output[-6000:]
    assert "PASS=" in result.output and "ERROR=0" in result.output
