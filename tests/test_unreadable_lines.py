"""Lines the CSV reader cannot parse are quarantined with file, line number and reason.

The dialect is stated (delimiter, quote, escape, header), never guessed, and
DuckDB's reject mechanism keeps each line it cannot parse: every kind of
broken line below becomes one quarantined row of its base model, the raw
rows still reconcile, and such lines count in the share that stops a broken
export. The broken lines sit in extra files beside the tiny fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbt_runner import Warehouse
from tests.fixtures.tiny import write_tiny_raw

CUSTOMER_HEADER = "customer_id,created_at,customer_type,full_name,email,phone\n"

# (line as written, reason or None when the line is valid). Line 1 is the header.
CUSTOMER_LINES = [
    # A comma inside a quoted field is data: a valid row.
    ('cx1,2024-01-01,consumer,"Li, Na",li.na@example.com,13800000001\n', None),
    # The same name unquoted: one field too many.
    (
        "cx2,2024-01-01,consumer,Li, Na,wang.fang@example.com,13800000002\n",
        "unreadable_line_too_many_fields",
    ),
    ("cx3,2024-01-01,consumer,Zhang Wei\n", "unreadable_line_too_few_fields"),
    # Bytes that are not UTF-8 (a GBK name in a UTF-8 file).
    (
        b"cx4,2024-01-01,consumer," + "赵敏".encode("gbk") + b",zhao@example.com,1380004\n",
        "unreadable_line_invalid_bytes",
    ),
    ('cx5,2024-01-01,consumer,"Chen Jing",chen@example.com,13800000005\n', None),
    # The export was cut off in the middle of the last line (no newline at the end).
    ("cx6,2024-01-01,consumer,Liu", "unreadable_line_too_few_fields"),
]

# A quote opened and never closed: the reader rejects it (and whatever follows
# inside the open quote, here the rest of the file) as one line.
BROKEN_QUOTING_FILE = (
    "customer_id,created_at,customer_type,full_name,email,phone\n"
    'cy1,2024-01-01,consumer,"Sun Li,sun.li@example.com,13800000007\n'
)

# A valid quoted field with the delimiter inside, in the last line of a small
# file: the dialect is stated, so no guess can go wrong on it.
ORDER_LINES_FILE = (
    'order_line_id,order_id,product_id,quantity,unit_price\nlq1,o010,p1,1,"1,234.50"\n'
)


def _write_customers(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(CUSTOMER_HEADER.encode())
        for line, _ in CUSTOMER_LINES:
            handle.write(line if isinstance(line, bytes) else line.encode())


@pytest.fixture(scope="module")
def broken_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("broken_lines")
    raw = write_tiny_raw(root / "raw")
    _write_customers(raw / "customers_broken.csv")
    (raw / "customers_quote.csv").write_text(BROKEN_QUOTING_FILE, encoding="utf-8")
    (raw / "order_lines_quoted.csv").write_text(ORDER_LINES_FILE, encoding="utf-8")
    return Warehouse(raw_dir=raw, work_dir=root).built(
        "--select",
        "+stg_crm__customers",
        "+stg_crm__order_lines",
        "quarantine_customers",
        "quarantine_order_lines",
        "--vars",
        "{max_quarantined_share: 1}",
    )


def test_each_broken_line_is_quarantined_with_file_line_and_reason(broken_warehouse):
    expected = sorted(
        ("customers_broken.csv", line_number, reason)
        for line_number, (_, reason) in enumerate(CUSTOMER_LINES, start=2)
        if reason
    ) + [("customers_quote.csv", 2, "unreadable_line_broken_quoting")]
    found = broken_warehouse.query(
        "select source_file, source_line_number, quarantine_reason "
        "from quarantine.quarantine_customers where source_line_number is not null"
    )
    assert sorted((Path(file).name, line, reason) for file, line, reason in found) == sorted(
        expected
    )


def test_valid_lines_around_broken_ones_are_read(broken_warehouse):
    names = broken_warehouse.query(
        "select customer_id, full_name from staging.base_crm__customers "
        "where customer_id in ('cx1', 'cx5') order by 1"
    )
    assert names == [("cx1", "Li, Na"), ("cx5", "Chen Jing")]


def test_a_quoted_delimiter_in_a_small_file_parses(broken_warehouse):
    # Parsed as one field; "1,234.50" is no amount with a dot as decimal separator.
    assert broken_warehouse.query(
        "select raw_unit_price, quarantine_reason from staging.base_crm__order_lines "
        "where raw_order_line_id = 'lq1'"
    ) == [("1,234.50", "unparsable_unit_price")]


def test_broken_lines_are_counted_as_raw_rows(broken_warehouse):
    # The tiny fixture's 12 customers, 6 lines of customers_broken.csv, 1 of customers_quote.csv.
    outcomes = broken_warehouse.row_outcomes("customers")
    assert sum(outcomes[status] for status in ("valid", "quarantined", "duplicate")) == 12 + 6 + 1
    assert outcomes["quarantined"] == 5


def test_broken_lines_count_in_the_share_limit(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    (raw / "products_broken.csv").write_text(
        "product_id,category\npz1,coffee,extra\npz2\n", encoding="utf-8"
    )
    # 2 unreadable lines of 5 product rows: 40% > the default limit of 5%.
    result = Warehouse(raw_dir=raw, work_dir=tmp_path).build("--select", "+stg_crm__products")
    assert not result.ok
    assert "FAIL 1 products_quarantined_share_below_limit" in result.output
