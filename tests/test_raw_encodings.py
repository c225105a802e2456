"""Raw files in GB18030, GBK or UTF-16 are read right; an undeclared one stops with a clear message.

A file's encoding is declared in loyalty_export.yml (per folder or per file)
or, for UTF-16, found from its byte order mark; the orchestration writes a
UTF-8 copy that dbt reads (orchestration/raw_encodings.py), and the build
still names the original file and its line numbers. The helpers are checked
directly first, then dbt builds on the tiny fixture saved as a Chinese
spreadsheet or CRM would save it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import raw_encodings
from orchestration.raw_encodings import (
    FileEncoding,
    RawEncodingError,
    file_encodings,
    prepare_utf8_copies,
    transcode,
)
from orchestration.raw_files import RawTable, summarize_raw_table
from tests.dbt_runner import Warehouse
from tests.fixtures import tiny

# Names and cities a Chinese CRM holds, by customer of the tiny fixture.
CHINESE_CONTACTS = {
    "c01": ("张伟", "北京市"),
    "c02": ("王芳", "广州市"),
    "c03": ("李娜", "深圳市"),
    "c04": ("刘洋", "成都市"),
    "c05": ("陈静", "杭州市"),
    "c06": ("杨磊", "武汉市"),
    "c07": ("赵敏", "西安市"),
    "c08": ("黄丽", "南京市"),
    "c09": ("周杰", "重庆市"),
    "c10": ("吴刚", "天津市"),
    "c11": ("徐婷", "苏州市"),
    "c12": ("孙悦", "厦门市"),
}


def _csv_text(rows: list[dict[str, object]], delimiter: str = ",", newline: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator=newline
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _chinese_customers() -> list[dict[str, object]]:
    return [
        {
            **customer,
            "full_name": CHINESE_CONTACTS[customer["customer_id"]][0],
            "city": CHINESE_CONTACTS[customer["customer_id"]][1],
        }
        for customer in tiny.CUSTOMERS
    ]


def _resave(folder: Path, encoding: str, delimiter: str = ",", newline: str = "\n") -> None:
    """Every CSV file of the folder saved again in this encoding and dialect."""
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
        path.write_bytes(buffer.getvalue().encode(encoding))


# ---- The helpers ---------------------------------------------------------------------


def test_a_file_declared_alone_then_the_folder_then_a_byte_order_mark_then_utf8(tmp_path):
    (tmp_path / "loyalty_export.yml").write_text(
        "encoding: GBK\nfile_encodings:\n  orders.csv: gb18030\n", encoding="utf-8"
    )
    (tmp_path / "orders.csv").write_bytes("订单".encode("gb18030"))
    (tmp_path / "customers.csv").write_bytes("客户".encode("gbk"))
    assert file_encodings(tmp_path, [tmp_path / "orders.csv", tmp_path / "customers.csv"]) == {
        tmp_path / "orders.csv": FileEncoding("gb18030", "loyalty_export.yml (file_encodings)"),
        tmp_path / "customers.csv": FileEncoding("gbk", "loyalty_export.yml (encoding)"),
    }
    (tmp_path / "loyalty_export.yml").unlink()
    (tmp_path / "excel.csv").write_bytes("a\tb\r\n".encode("utf-16"))  # with its BOM
    (tmp_path / "plain.csv").write_text("a,b\n", encoding="utf-8")
    assert file_encodings(tmp_path, [tmp_path / "excel.csv", tmp_path / "plain.csv"]) == {
        tmp_path / "excel.csv": FileEncoding("utf-16", "its byte order mark"),
        tmp_path / "plain.csv": FileEncoding("utf-8", "the default"),
    }


def test_an_unknown_encoding_names_the_setting(tmp_path):
    (tmp_path / "loyalty_export.yml").write_text("encoding: gb2312x\n", encoding="utf-8")
    with pytest.raises(RawEncodingError, match="loyalty_export.yml: encoding 'gb2312x' is not"):
        file_encodings(tmp_path, [])


def test_a_copy_keeps_every_line_and_marks_undecodable_bytes(tmp_path, monkeypatch):
    # A chunk of 3 characters splits the file's lines (and would split a
    # two-byte GB18030 character if the copy were made byte by byte).
    monkeypatch.setattr(raw_encodings, "CHUNK_CHARACTERS", 3)
    source = tmp_path / "customers.csv"
    # Line 3 holds 0x80, a byte GB18030 has no character for.
    source.write_bytes(
        "id,name\r\n".encode("gb18030")
        + "1,张伟\r\n".encode("gb18030")
        + b"2,\x80\xd5\xc5\r\n"
        + "3,北京市".encode("gb18030")
    )
    transcode(source, "gb18030", tmp_path / "copy.csv")
    lines = (tmp_path / "copy.csv").read_bytes().split(b"\r\n")
    assert lines[:2] == [b"id,name", "1,张伟".encode()]
    # The undecodable byte became 0xFF (never valid UTF-8), the rest decoded: 张.
    assert lines[2] == b"2,\xff" + "张".encode()
    assert lines[3] == "3,北京市".encode()
    assert len(lines) == 4


def test_copies_are_made_again_only_when_the_file_changed(tmp_path):
    raw, copies = tmp_path / "raw", tmp_path / "copies"
    raw.mkdir()
    (raw / "loyalty_export.yml").write_text(
        "file_encodings: {customers.csv: gb18030}\n", encoding="utf-8"
    )
    (raw / "customers.csv").write_bytes("id,city\n1,北京市\n".encode("gb18030"))
    (raw / "orders.csv").write_text("id\n1\n", encoding="utf-8")
    made = prepare_utf8_copies([raw], copies)
    copy = Path(made[str(raw.resolve() / "customers.csv")].copy_path)
    assert list(made) == [str(raw.resolve() / "customers.csv")]  # orders.csv is UTF-8
    assert copy.read_text("utf-8") == "id,city\n1,北京市\n"
    os.utime(copy, ns=(1, 1))
    prepare_utf8_copies([raw], copies)
    assert copy.stat().st_mtime_ns == 1  # not made again
    (raw / "customers.csv").write_bytes("id,city\n1,广州市\n".encode("gb18030"))
    prepare_utf8_copies([raw], copies)
    assert copy.read_text("utf-8") == "id,city\n1,广州市\n"
    (raw / "loyalty_export.yml").unlink()
    (raw / "customers.csv").write_text("id,city\n1,广州市\n", encoding="utf-8")
    assert prepare_utf8_copies([raw], copies) == {}
    assert not copy.exists()  # no longer needed


def test_the_raw_observation_counts_the_rows_of_a_copy(tmp_path):
    raw = tiny.write_tiny_raw(tmp_path / "raw")
    (raw / "customers.csv").write_bytes(_csv_text(_chinese_customers()).encode("gb18030"))
    (raw / "loyalty_export.yml").write_text(
        "file_encodings: {customers.csv: gb18030}\n", encoding="utf-8"
    )
    copies = prepare_utf8_copies([raw], tmp_path / "copies")
    summary = summarize_raw_table(
        raw,
        RawTable("customers", "created_at"),
        utf8_copies={source: copy.copy_path for source, copy in copies.items()},
    )
    assert summary.row_count == len(tiny.CUSTOMERS)


# ---- dbt builds ---------------------------------------------------------------------

# A second GB18030 customers file whose line 3 holds a byte GB18030 has no character for.
MORE_CUSTOMERS = (
    _csv_text(
        [
            {"customer_id": "c21", "created_at": "2024-01-01", "customer_type": "consumer"},
            {"customer_id": "c22", "created_at": "2024-01-01", "customer_type": "consumer"},
        ]
    )
    .encode("gb18030")
    .replace(b"c22,", b"c22\x80,")
)


@pytest.fixture(scope="module")
def gb18030_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The tiny fixture as a Chinese CRM exports it: every file GB18030, declared for the folder."""
    root = tmp_path_factory.mktemp("gb18030")
    raw = tiny.write_tiny_raw(root / "raw")
    (raw / "customers.csv").write_text(_csv_text(_chinese_customers()), encoding="utf-8")
    _resave(raw, "gb18030")
    (raw / "customers_more.csv").write_bytes(MORE_CUSTOMERS)
    (raw / "loyalty_export.yml").write_text("encoding: gb18030\n", encoding="utf-8")
    return Warehouse(raw_dir=raw, work_dir=root).built(
        "--select",
        "+customers",
        "+customer_contacts",
        "quarantine_customers",
        # The unreadable line is 1 of the 2 of customers_more.csv, more than the default 5%.
        "--vars",
        "{max_quarantined_share: 0.5}",
    )


def test_chinese_names_and_cities_come_out_right(gb18030_warehouse):
    names = dict(
        gb18030_warehouse.query("select customer_id, full_name from restricted.customer_contacts")
    )
    cities = dict(gb18030_warehouse.query("select customer_id, city from marts.customers"))
    assert {customer: names.get(customer) for customer in CHINESE_CONTACTS} == {
        customer: name for customer, (name, _) in CHINESE_CONTACTS.items()
    }
    assert {customer: cities.get(customer) for customer in CHINESE_CONTACTS} == {
        customer: city for customer, (_, city) in CHINESE_CONTACTS.items()
    }
    # The products file, GB18030 too, keeps its Chinese names.
    assert dict(
        gb18030_warehouse.query("select product_id, product_name from staging.stg_crm__products")
    ) == {product["product_id"]: product["product_name"] for product in tiny.PRODUCTS}


def test_undecodable_bytes_are_quarantined_under_the_original_file_and_line(gb18030_warehouse):
    assert gb18030_warehouse.query(
        "select source_file, source_line_number, quarantine_reason "
        "from quarantine.quarantine_customers where source_line_number is not null"
    ) == [
        (
            str(gb18030_warehouse.raw_dir.resolve() / "customers_more.csv"),
            3,
            "unreadable_line_invalid_bytes",
        )
    ]
    assert gb18030_warehouse.query(
        "select customer_id from staging.stg_crm__customers where customer_id = 'c21'"
    ) == [("c21",)]


def test_an_excel_unicode_text_file_is_read(tmp_path):
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated, CRLF.
    raw = tiny.write_tiny_raw(tmp_path / "raw")
    (raw / "customers.csv").write_text(_csv_text(_chinese_customers()), encoding="utf-8")
    _resave(raw, "utf-8", delimiter="\t", newline="\r\n")
    customers = raw / "customers.csv"
    customers.write_bytes(customers.read_text("utf-8").encode("utf-16"))
    assert customers.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    (raw / "loyalty_export.yml").write_text('delimiter: "\\t"\n', encoding="utf-8")
    warehouse = Warehouse(raw_dir=raw, work_dir=tmp_path).built("--select", "+stg_crm__customers")
    found = warehouse.query("select customer_id, full_name, city from staging.base_crm__customers")
    assert {customer: (name, city) for customer, name, city in found} == CHINESE_CONTACTS


def _undeclared_gb18030_folder(root: Path) -> Path:
    raw = tiny.write_tiny_raw(root / "raw")
    (raw / "customers.csv").write_bytes(_csv_text(_chinese_customers()).encode("gb18030"))
    return raw


def _personal_data() -> list[str]:
    return [
        value
        for customer in _chinese_customers()
        for value in (customer["full_name"], customer["email"], customer["phone"])
    ]


def test_an_undeclared_gb18030_file_stops_with_one_clear_message(tmp_path):
    raw = _undeclared_gb18030_folder(tmp_path)
    result = Warehouse(raw_dir=raw, work_dir=tmp_path).build("--select", "+stg_crm__customers")
    assert not result.ok
    expected = (
        f"Raw file {raw.resolve() / 'customers.csv'} is not UTF-8: 12 of its 12 lines hold bytes "
        "that UTF-8 does not allow. If it was saved in another encoding (GB18030 or GBK for most "
        "Chinese exports), declare it in loyalty_export.yml beside it: `encoding: gb18030` for "
        "every file of the folder, or `file_encodings: {customers.csv: gb18030}` for this file "
        "(docs/raw-data-contract.md)."
    )
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not [value for value in _personal_data() if value in result.output]


def test_dbt_run_without_the_copies_says_how_to_run_it(tmp_path):
    raw = _undeclared_gb18030_folder(tmp_path)
    (raw / "loyalty_export.yml").write_text("encoding: gb18030\n", encoding="utf-8")
    # dbt itself, without the step that makes the UTF-8 copies.
    result = Warehouse(raw_dir=raw, work_dir=tmp_path).dbt(
        "build", "--select", "base_crm__customers", utf8_copies=False
    )
    assert not result.ok
    assert (
        f"Raw file {raw.resolve() / 'customers.csv'} is not UTF-8 (gb18030, says "
        "loyalty_export.yml): dbt reads it from a UTF-8 copy that the orchestration makes"
    ) in result.output
    assert "make build, make run, or `python -m orchestration.cli dbt ...`" in result.output


def test_the_cli_names_a_wrong_encoding_setting_before_dbt_runs(tmp_path):
    raw = tiny.write_tiny_raw(tmp_path / "raw")
    (raw / "loyalty_export.yml").write_text(
        "file_encodings: {customers.csv: ansi}\n", encoding="utf-8"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "build"],
        env={
            **os.environ,
            "LOYALTY_RAW_DIR": str(raw),
            "LOYALTY_DUCKDB_BUILD_PATH": str(tmp_path / "build" / "w.duckdb"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "error: loyalty_export.yml: file_encodings of customers.csv 'ansi' is not an "
        "encoding; use a name such as gb18030, gbk, big5, utf-16 or utf-8 "
        '(docs/raw-data-contract.md, "Encodings").'
    )
