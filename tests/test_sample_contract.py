"""The sample generator writes the columns of the raw contract, read from the sources YAML."""

from __future__ import annotations

from sample_generator.contract import raw_columns

SOURCES = """
version: 2
sources:
  - name: other
    tables:
      - name: events
        columns: [{name: event_id}]
  - name: crm
    schema: "{{ var('raw_schema', 'raw') }}"
    tables:
      - name: orders
        columns:
          - name: order_id
            data_type: varchar
          - name: ordered_at
          - name: status
      - name: products
        columns:
          - name: product_id
"""


def test_columns_of_the_crm_source_in_yaml_order(tmp_path):
    path = tmp_path / "_crm__sources.yml"
    path.write_text(SOURCES, encoding="utf-8")
    assert raw_columns(path) == {
        "orders": ["order_id", "ordered_at", "status"],
        "products": ["product_id"],
    }
