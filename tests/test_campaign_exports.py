"""The files of a wave: send lists hold only customers to contact, typed cells in the workbook."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import materialize
from openpyxl import load_workbook

from orchestration.assets.campaigns import build_campaign_wave
from orchestration.campaigns.columns import CampaignColumns, ListColumn
from orchestration.campaigns.config import Campaign, CampaignConfig, CampaignSettings
from orchestration.campaigns.exports import HOLDOUT_FILE, phone_as_text
from orchestration.resources import WarehouseResource
from orchestration.settings import Settings

WAVE_DATE = "2026-07-01"
PERSONAL = {"full_name", "email", "phone"}
# What a spreadsheet turns into a boolean or a number when it opens a CSV.
_SPREADSHEET_LITERAL = re.compile(r"^(true|false|[+-]?\d+(\.\d+)?([eE][+-]?\d+)?)$", re.IGNORECASE)


FAVOURITE = CampaignColumns(
    source="customer_categories",
    first_by="category_rank",
    select=(ListColumn("favourite_category", "category", "最常购买品类"),),
)


def _campaign(name: str, priority: int, audience: str, **extra) -> Campaign:
    return Campaign(
        name=name,
        goal="",
        audience=audience,
        priority=priority,
        channel="sms",
        offer_en="A gift.",
        offer_zh="礼品。",
        holdout_share=0.5,
        **extra,
    )


@pytest.fixture(scope="module")
def wave_folder(tiny_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wave on the tiny fixture, half of each list held out."""
    root = tmp_path_factory.mktemp("exports")
    warehouse = tiny_warehouse.copy(root / "warehouse")
    rules = CampaignConfig(
        CampaignSettings(frequency_cap_days=0, holdout_seed=1),
        [
            _campaign("valuable", 1, "value_tier in ('platinum', 'gold')"),
            _campaign("rest", 2, "1 = 1", columns=FAVOURITE),
            _campaign("nobody", 3, "1 = 0", columns=FAVOURITE),
        ],
    )
    result = materialize(
        [build_campaign_wave(rules, Settings().timezone_info)],
        resources={
            "warehouse": WarehouseResource(
                raw_dir=str(warehouse.raw_dir),
                build_path=str(warehouse.database_path),
                exports_dir=str(root / "exports"),
            )
        },
        run_config={"ops": {"campaign_wave": {"config": {"wave_date": WAVE_DATE}}}},
    )
    assert result.success
    return root / "exports" / WAVE_DATE


def test_a_stale_wave_stops_unless_the_setting_allows_it(tiny_warehouse, tmp_path):
    # The tiny data ends in June 2026; a wave on 2026-09-01 is over 60 days
    # later, beyond max_data_age_days (14): it stops and writes nothing,
    # unless LOYALTY_ALLOW_STALE_DATA (allow_stale_data) lets it through.
    warehouse = tiny_warehouse.copy(tmp_path / "warehouse")
    rules = CampaignConfig(CampaignSettings(), [_campaign("everyone", 1, "1 = 1")])
    for allow_stale_data in (False, True):
        exports = tmp_path / f"exports_{allow_stale_data}"
        result = materialize(
            [build_campaign_wave(rules, Settings().timezone_info, allow_stale_data)],
            resources={
                "warehouse": WarehouseResource(
                    raw_dir=str(warehouse.raw_dir),
                    build_path=str(warehouse.database_path),
                    exports_dir=str(exports),
                )
            },
            run_config={"ops": {"campaign_wave": {"config": {"wave_date": "2026-09-01"}}}},
            raise_on_error=False,
        )
        assert result.success is allow_stale_data
        assert (exports / "2026-09-01" / "everyone.csv").is_file() is allow_stale_data


def _read_csv(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_send_files_hold_no_holdout_and_the_holdout_file_no_personal_data(wave_folder):
    holdout = pd.read_parquet(wave_folder / f"{HOLDOUT_FILE}.parquet")
    assert set(holdout["assignment"]) == {"holdout"}
    assert PERSONAL.isdisjoint(holdout.columns)
    assert PERSONAL.isdisjoint(_read_csv(wave_folder / f"{HOLDOUT_FILE}.csv")[0])
    held_out = set(holdout["customer_id"])
    assert len(held_out) >= 2  # half of a dozen opted-in customers
    sent = set()
    for name in ("valuable", "rest"):
        csv_ids = {row["customer_id"] for row in _read_csv(wave_folder / f"{name}.csv")}
        parquet_ids = set(pd.read_parquet(wave_folder / f"{name}.parquet")["customer_id"])
        rows = list(load_workbook(wave_folder / f"{name}.xlsx").active.values)
        at = rows[0].index("customer_id / 客户编号")
        xlsx_ids = {row[at] for row in rows[1:]}
        assert csv_ids == parquet_ids == xlsx_ids, name
        assert held_out.isdisjoint(csv_ids), name
        sent |= csv_ids
    # Everyone listed is either contacted or held out, never both. With this
    # seed both of `valuable`'s customers are held out: its send files are
    # empty but for the header.
    assert sent and sent.isdisjoint(held_out)


def test_the_workbook_has_typed_cells_and_a_frozen_bilingual_header(wave_folder):
    sheet = load_workbook(wave_folder / "rest.xlsx").active
    assert sheet.freeze_panes == "A2"
    titles = [cell.value for cell in sheet[1]]
    assert "customer_id / 客户编号" in titles
    assert "phone / 电话" in titles
    column = {title.split(" / ")[0]: number for number, title in enumerate(titles)}
    rows = list(sheet.iter_rows(min_row=2))
    assert rows
    for row in rows:
        for name in ("customer_id", "phone", "campaign", "loyalty_class"):
            if row[column[name]].value is not None:
                assert row[column[name]].data_type == "s", name
                assert row[column[name]].number_format == "@", name
        assert row[column["phone"]].value.startswith("+86 ")
        for name in ("wave_date", "as_of_date", "last_purchase_date"):
            cell = row[column[name]]
            if cell.value is not None:
                assert cell.is_date and type(cell.value) is dt.datetime, name
                assert cell.number_format == "yyyy-mm-dd"
        value = row[column["total_lifetime_value"]]
        assert value.data_type == "n" and isinstance(value.value, int | float)
    assert rows[0][column["wave_date"]].value == dt.datetime(2026, 7, 1)


def test_no_csv_value_turns_into_a_boolean_or_a_number_in_a_spreadsheet(wave_folder):
    numeric = {"total_lifetime_value"}  # real numbers, meant as numbers
    for path in sorted(wave_folder.glob("*.csv")):
        if path.name.startswith("summary"):
            continue
        for row in _read_csv(path):
            for name, value in row.items():
                if name not in numeric:
                    assert not _SPREADSHEET_LITERAL.match(value), (path.name, name, value)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("13812345678", "+86 13812345678"),
        ("+8613812345678", "+86 13812345678"),
        ("0755 1234 5678", "0755 1234 5678"),
        ("+49 151 2345", "+49 151 2345"),
        (None, None),
    ],
)
def test_phone_numbers_are_written_as_text(given, written):
    assert phone_as_text(given, "+86") == written


def test_every_file_and_the_history_say_the_wave_date_and_the_data_as_of_date(wave_folder):
    # The tiny fixture's last order is on 2026-06-30: its as-of date.
    dates = {("2026-07-01", "2026-06-30")}
    for path in sorted(wave_folder.glob("*.csv")):
        rows = _read_csv(path)
        assert {(row["wave_date"], row["as_of_date"]) for row in rows} <= dates, path.name
        assert rows or "wave_date" in path.read_text(encoding="utf-8-sig"), path.name
    summary = pd.read_json(wave_folder / "summary.json", dtype=False)
    assert set(zip(summary["wave_date"], summary["as_of_date"], strict=True)) == dates
    warehouse = wave_folder.parents[1] / "warehouse"
    history = duckdb.connect(str(next(warehouse.rglob("*.duckdb"))), read_only=True).execute(
        "select distinct cast(wave_date as varchar), cast(as_of_date as varchar) "
        "from campaigns.contact_history"
    )
    assert set(history.fetchall()) == dates


def test_a_list_carries_its_campaign_columns(wave_folder):
    # The favourite category (most net revenue) from tests/fixtures/tiny.py:
    # c09's completed order had filters (180.00) and books (50.00), its coffee
    # was returned or cancelled; c06 never bought.
    favourite = {"c01": "coffee", "c02": "books", "c03": "coffee", "c05": "books"}
    favourite |= {"c06": "", "c08": "coffee", "c09": "filters", "c10": "books"}
    favourite |= {"c11": "coffee", "c12": "books"}
    rows = _read_csv(wave_folder / "rest.csv")
    assert len(rows) >= 2
    for row in rows:
        assert row["favourite_category"] == favourite[row["customer_id"]], row["customer_id"]
    titles = [cell.value for cell in load_workbook(wave_folder / "rest.xlsx").active[1]]
    assert "favourite_category / 最常购买品类" in titles
    # The column sits after the mart columns and before the contact details.
    assert (
        titles.index("last_purchase_date / 最近购买日期")
        < titles.index("favourite_category / 最常购买品类")
        < titles.index("full_name / 姓名")
    )


def test_list_tables_keep_the_types_of_the_marts_even_when_empty(wave_folder):
    """A BI tool reads campaigns.<list> with the marts' column types; pandas, which the
    wave passes the lists through, has none for the columns of an empty list."""
    warehouse = next((wave_folder.parents[1] / "warehouse").rglob("*.duckdb"))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        types = {
            (schema, table, column): kind
            for schema, table, column, kind in connection.execute(
                "select table_schema, table_name, column_name, data_type "
                "from information_schema.columns"
            ).fetchall()
        }
        (listed,) = connection.execute("select count(*) from campaigns.rest").fetchone()
        (nobody,) = connection.execute("select count(*) from campaigns.nobody").fetchone()
    assert listed > 0 and nobody == 0
    source = {
        "full_name": ("restricted", "customer_contacts"),
        "email": ("restricted", "customer_contacts"),
        "phone": ("restricted", "customer_contacts"),
        "favourite_category": ("marts", "customer_categories"),
    }
    for name in ("valuable", "rest", "nobody"):
        columns = {column: kind for (_, table, column), kind in types.items() if table == name}
        assert "NULL" not in columns.values(), name
        assert columns["wave_date"] == "DATE", name
        assert columns["phone"] == columns["campaign"] == "VARCHAR", name
        for column in ("as_of_date", "last_purchase_date", "total_lifetime_value", "value_tier"):
            assert columns[column] == types["marts", "customers", column], (name, column)
        for column, (schema, table) in source.items():
            mart_column = "category" if column == "favourite_category" else column
            if column in columns:
                assert columns[column] == types[schema, table, mart_column], (name, column)


def test_the_wave_log_counts_people_in_words():
    from orchestration.assets.campaigns import customers_text

    assert customers_text(1) == "1 customer"
    assert customers_text(0) == "0 customers"
    assert customers_text(5000) == "5,000 customers"
