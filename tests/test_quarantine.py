"""Bad raw rows land in quarantine with the right reason; a missing required column stops the build.

The bad rows sit in second files beside the tiny fixture (`<table>_late_export.csv`),
so these tests also prove that every file matching `<table>*.csv` is read and that a
file may leave out optional columns.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.dbt_runner import Warehouse, count_raw_rows, raw_contract
from tests.fixtures.tiny import write_tiny_raw

FUTURE = "2099-01-01 00:00:00"

# Each bad row names the quarantine reason its base model must give it (the
# first failing check, in the order documented in the base model's YAML).
BAD_CUSTOMERS = [
    (
        {"customer_id": "", "created_at": "2024-01-01", "customer_type": "consumer"},
        "missing_customer_id",
    ),
    (
        {"customer_id": "bx1", "created_at": "yesterday", "customer_type": "consumer"},
        "unparsable_created_at",
    ),
    (
        {"customer_id": "bx2", "created_at": "2024-01-01", "customer_type": "alien"},
        "unknown_customer_type",
    ),
    (
        {
            "customer_id": "bx3",
            "created_at": "2024-01-01",
            "customer_type": "consumer",
            "marketing_consent": "maybe",
        },
        "invalid_marketing_consent",
    ),
    (
        {
            "customer_id": "bx4",
            "created_at": "2024-01-01",
            "customer_type": "consumer",
            "birth_year": "1800",
        },
        "invalid_birth_year",
    ),
    (
        {"customer_id": "bx5", "created_at": FUTURE, "customer_type": "consumer"},
        "future_created_at",
    ),
    (
        {
            "customer_id": "bx6",
            "created_at": "2024-01-01",
            "customer_type": "consumer",
            "region": "华北",
        },
        "conflicting_versions",
    ),
    (
        {
            "customer_id": "bx6",
            "created_at": "2024-01-01",
            "customer_type": "consumer",
            "region": "华南",
        },
        "conflicting_versions",
    ),
]

BAD_ORDERS = [
    (
        {
            "order_id": "",
            "customer_id": "c01",
            "ordered_at": "2026-06-01 10:00:00",
            "status": "completed",
        },
        "missing_order_id",
    ),
    (
        {
            "order_id": "ob1",
            "customer_id": "nobody",
            "ordered_at": "2026-06-01 10:00:00",
            "status": "completed",
        },
        "unknown_customer",
    ),
    (
        {
            "order_id": "ob2",
            "customer_id": "c01",
            "ordered_at": "2026-13-45 10:00:00",
            "status": "completed",
        },
        "unparsable_ordered_at",
    ),
    (
        {"order_id": "ob3", "customer_id": "c01", "ordered_at": FUTURE, "status": "completed"},
        "future_ordered_at",
    ),
    (
        {
            "order_id": "ob4",
            "customer_id": "c01",
            "ordered_at": "2026-06-01 10:00:00",
            "status": "lost",
        },
        "unknown_status",
    ),
    # bx2 is itself quarantined, so it is not a known valid customer.
    (
        {
            "order_id": "ob5",
            "customer_id": "bx2",
            "ordered_at": "2026-06-01 10:00:00",
            "status": "completed",
        },
        "unknown_customer",
    ),
]

BAD_ORDER_LINES = [
    (
        {
            "order_line_id": "lb1",
            "order_id": "o010",
            "product_id": "p1",
            "quantity": "0",
            "unit_price": "10",
        },
        "non_positive_quantity",
    ),
    (
        {
            "order_line_id": "lb2",
            "order_id": "o010",
            "product_id": "p1",
            "quantity": "-2",
            "unit_price": "10",
        },
        "non_positive_quantity",
    ),
    (
        {
            "order_line_id": "lb3",
            "order_id": "o010",
            "product_id": "p1",
            "quantity": "1",
            "unit_price": "-1",
        },
        "negative_unit_price",
    ),
    (
        {
            "order_line_id": "lb4",
            "order_id": "o010",
            "product_id": "p1",
            "quantity": "1",
            "unit_price": "10",
            "discount_amount": "11",
        },
        "discount_exceeds_line_total",
    ),
    (
        {
            "order_line_id": "lb5",
            "order_id": "nope",
            "product_id": "p1",
            "quantity": "1",
            "unit_price": "10",
        },
        "unknown_order",
    ),
    (
        {
            "order_line_id": "lb6",
            "order_id": "ob1",
            "product_id": "p1",
            "quantity": "1",
            "unit_price": "10",
        },
        "order_quarantined",
    ),
    (
        {
            "order_line_id": "lb7",
            "order_id": "o010",
            "product_id": "p9",
            "quantity": "1",
            "unit_price": "10",
        },
        "unknown_product",
    ),
    (
        {
            "order_line_id": "lb8",
            "order_id": "o010",
            "product_id": "p1",
            "quantity": "two",
            "unit_price": "10",
        },
        "unparsable_quantity",
    ),
]

BAD_PRODUCTS = [
    (
        {"product_id": "pb1", "category": "coffee", "usage_cycle_days": "0"},
        "invalid_usage_cycle_days",
    ),
    ({"product_id": "pb2", "category": ""}, "missing_category"),
]

BAD_SURVEYS = [
    (
        {
            "response_id": "rb1",
            "customer_id": "c01",
            "responded_at": "2026-06-01",
            "csat_score": "7",
        },
        "csat_out_of_range",
    ),
    (
        {
            "response_id": "rb2",
            "customer_id": "c01",
            "responded_at": "2026-06-01",
            "nps_score": "11",
        },
        "nps_out_of_range",
    ),
    (
        {
            "response_id": "rb3",
            "customer_id": "c01",
            "responded_at": "2026-06-01",
            "trust_score": "0",
        },
        "likert_out_of_range",
    ),
    (
        {
            "response_id": "rb4",
            "customer_id": "ghost",
            "responded_at": "2026-06-01",
            "nps_score": "9",
        },
        "unknown_customer",
    ),
]

BAD_TICKETS = [
    (
        {
            "ticket_id": "tb1",
            "customer_id": "c01",
            "opened_at": "2026-06-02 10:00:00",
            "category": "repair",
            "resolved_at": "2026-06-01 10:00:00",
        },
        "resolved_before_opened",
    ),
    (
        {
            "ticket_id": "tb2",
            "customer_id": "c01",
            "opened_at": "2026-06-02 10:00:00",
            "category": "praise",
        },
        "unknown_category",
    ),
]

BAD_CONSENT_EVENTS = [
    (
        {
            "consent_event_id": "cb1",
            "customer_id": "c01",
            "consent": "maybe",
            "recorded_at": "2026-06-01 10:00:00",
        },
        "invalid_consent",
    ),
    (
        {
            "consent_event_id": "cb2",
            "customer_id": "ghost",
            "consent": "opt_in",
            "recorded_at": "2026-06-01 10:00:00",
        },
        "unknown_customer",
    ),
]

BAD_SUPPRESSIONS = [
    (
        {
            "suppression_id": "sb1",
            "customer_id": "c01",
            "reason": "spam",
            "suppressed_at": "2026-06-01 10:00:00",
        },
        "unknown_reason",
    ),
    (
        {
            "suppression_id": "sb2",
            "customer_id": "c01",
            "reason": "bounced",
            "suppressed_at": "2026-06-02 10:00:00",
            "lifted_at": "2026-06-01 10:00:00",
        },
        "lifted_before_suppressed",
    ),
]

BAD_ROWS = {
    "customers": ("customer_id", BAD_CUSTOMERS),
    "orders": ("order_id", BAD_ORDERS),
    "order_lines": ("order_line_id", BAD_ORDER_LINES),
    "products": ("product_id", BAD_PRODUCTS),
    "survey_responses": ("response_id", BAD_SURVEYS),
    "service_tickets": ("ticket_id", BAD_TICKETS),
    "consent_events": ("consent_event_id", BAD_CONSENT_EVENTS),
    "suppressions": ("suppression_id", BAD_SUPPRESSIONS),
}

# Good-but-repeated rows: an exact copy of an order and of a customer, and o101
# exported again later as returned (the later version wins).
EXACT_COPY_ORDER = {
    "order_id": "o010",
    "customer_id": "c01",
    "ordered_at": "2026-03-02 10:00:00",
    "status": "completed",
    "channel": "online",
    "updated_at": "2026-03-02 10:00:00",
}
REEXPORTED_ORDER = {
    "order_id": "o101",
    "customer_id": "c10",
    "ordered_at": "2026-05-01 10:00:00",
    "status": "returned",
    "channel": "online",
    "updated_at": "2026-05-20 10:00:00",
}


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    # Only the columns the rows use: a late export may leave optional columns out.
    columns = list(dict.fromkeys(column for row in rows for column in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def messy_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("messy")
    raw = write_tiny_raw(root / "raw")
    for table, (_, bad_rows) in BAD_ROWS.items():
        rows = [row for row, _ in bad_rows]
        if table == "orders":
            rows += [EXACT_COPY_ORDER, REEXPORTED_ORDER]
        _write_rows(raw / f"{table}_late_export.csv", rows)
    # Every raw table through staging (and the seed it reads, consent_spellings)
    # and quarantine, and the orders mart. A dozen customers and eight bad
    # ones: far more than the 5% a real export may lose before the build stops
    # (quarantined_share_below_limit).
    return Warehouse(raw_dir=raw, work_dir=root).built(
        "--select",
        "+tag:staging",
        "tag:quarantine",
        "+orders",
        "--vars",
        "{max_quarantined_share: 1}",
    )


@pytest.mark.parametrize("table", sorted(BAD_ROWS))
def test_every_bad_row_is_quarantined_with_its_reason(messy_warehouse, table):
    key, bad_rows = BAD_ROWS[table]
    expected = sorted((row[key], reason) for row, reason in bad_rows)
    found = messy_warehouse.query(
        f"select coalesce(raw_{key}, ''), quarantine_reason "
        f"from quarantine.quarantine_{table} order by 1, 2"
    )
    assert sorted(found) == expected


def test_quarantined_rows_keep_their_source_file(messy_warehouse):
    files = messy_warehouse.query(
        "select distinct source_file from quarantine.quarantine_order_lines"
    )
    assert [Path(file).name for (file,) in files] == ["order_lines_late_export.csv"]


def test_bad_rows_cover_every_raw_table():
    assert sorted(BAD_ROWS) == sorted(raw_contract())


@pytest.mark.parametrize("table", sorted(BAD_ROWS))
def test_every_raw_row_is_accounted_for(messy_warehouse, table):
    raw_rows = count_raw_rows(messy_warehouse.raw_dir, table)
    outcomes = messy_warehouse.row_outcomes(table)
    (staged,) = messy_warehouse.query(f"select count(*) from staging.stg_crm__{table}")[0]
    assert outcomes["valid"] + outcomes["quarantined"] + outcomes["duplicate"] == raw_rows
    assert outcomes["quarantined"] == len(BAD_ROWS[table][1])
    assert (
        staged
        == outcomes["valid"]
        == raw_rows
        - len(BAD_ROWS[table][1])
        - (
            2 if table == "orders" else 0  # the exact copy and the superseded version
        )
    )


def test_duplicates_and_superseded_versions(messy_warehouse):
    outcomes = messy_warehouse.row_outcomes("orders")
    assert (outcomes["exact_copy"], outcomes["superseded_version"]) == (1, 1)
    assert messy_warehouse.query("select status from marts.orders where order_id = 'o101'") == [
        ("returned",)
    ]
    assert messy_warehouse.query("select count(*) from marts.orders where order_id = 'o010'") == [
        (1,)
    ]


def test_a_broken_export_stops_the_build(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    _write_rows(raw / "products_late_export.csv", [row for row, _ in BAD_PRODUCTS])
    # 2 of 5 product rows quarantined: 40% > the default limit of 5%.
    result = Warehouse(raw_dir=raw, work_dir=tmp_path).build(
        "--select", "+stg_crm__products", "+stg_crm__order_lines"
    )
    assert not result.ok
    assert "FAIL 1 products_quarantined_share_below_limit" in result.output
    # The build stops there: nothing that reads the products is built on them.
    assert "SKIP relation staging.base_crm__order_lines" in result.output


def test_missing_required_column_names_the_file_and_column(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    with (raw / "orders.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        del row["status"]
    _write_rows(raw / "orders.csv", rows)

    result = Warehouse(raw_dir=raw, work_dir=tmp_path).build("--select", "base_crm__orders")

    assert not result.ok
    assert f"Raw file {raw / 'orders.csv'}" in result.output
    assert "missing required column(s): status" in result.output
    assert "Traceback" not in result.output


def test_missing_raw_folder_is_reported(tmp_path):
    raw = tmp_path / "empty"
    raw.mkdir()
    result = Warehouse(raw_dir=raw, work_dir=tmp_path).build()
    assert not result.ok
    assert (
        f"No raw file for source crm.orders: nothing matches orders*.csv in {raw}" in result.output
    )


def test_an_unknown_raw_file_format_is_reported(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    file_format = "{raw_file_format: xlsx}"
    warehouse = Warehouse(raw_dir=raw, work_dir=tmp_path, parse_vars=file_format)
    result = warehouse.build("--vars", file_format, "--select", "base_crm__orders")
    assert not result.ok
    assert "The var raw_file_format is 'xlsx': it must be csv or parquet" in result.output
    assert "Traceback" not in result.output


def test_optional_columns_may_be_left_out(tmp_path):
    raw = write_tiny_raw(tmp_path / "raw")
    with (raw / "customers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for optional in ("city", "gender", "birth_year", "full_name", "email", "phone"):
            del row[optional]
    _write_rows(raw / "customers.csv", rows)

    warehouse = Warehouse(raw_dir=raw, work_dir=tmp_path).built("--select", "+stg_crm__customers")
    assert warehouse.query("select count(*), count(city) from staging.stg_crm__customers") == [
        (12, 0)
    ]
