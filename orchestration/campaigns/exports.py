"""Write the files of a wave: one send list per campaign, one holdout file.

A send list holds only the customers to contact (assignment treatment), as
CSV (UTF-8 with a byte order mark, so Excel shows Chinese), Parquet and an
Excel workbook. The workbook is the file to open in a spreadsheet: text cells
for identifiers and phone numbers, date cells for dates, number cells for
amounts, a bilingual header (English / Chinese) and a frozen header row.

The holdout file lists the control group of every campaign of the wave,
without any contact detail: nobody in it may be contacted, and nobody needs
to be.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

# Chinese header of the columns every list carries (per-campaign columns carry
# their own label, declared in campaigns.yml).
HEADER_ZH: dict[str, str] = {
    "campaign": "活动",
    "wave_date": "批次日期",
    "as_of_date": "数据截止日期",
    "customer_id": "客户编号",
    "customer_type": "客户类型",
    "value_tier": "价值等级",
    "total_lifetime_value": "客户终身价值",
    "loyalty_class": "忠诚类型",
    "loyalty_ladder_stage": "忠诚阶梯",
    "lifecycle_status": "生命周期状态",
    "churn_risk_band": "流失风险",
    "last_purchase_date": "最近购买日期",
    "full_name": "姓名",
    "email": "电子邮箱",
    "phone": "电话",
    "assignment": "分组",
    "channel": "渠道",
    "offer_en": "优惠（英文）",
    "offer_zh": "优惠（中文）",
}
HOLDOUT_COLUMNS = ["campaign", "wave_date", "as_of_date", "customer_id", "assignment"]
HOLDOUT_FILE = "holdout"

_DIGITS = re.compile(r"^\+?\d+$")


def phone_as_text(phone: object, country_code: str) -> object:
    """A phone number a spreadsheet keeps as text: `+86 13812345678`, not 13812345678.

    Bare digits get the country code and a space; `+<code><number>` gets a
    space after the code; anything else (already with spaces or dashes) is
    kept as given.
    """
    if not isinstance(phone, str):
        return phone
    compact = re.sub(r"[\s\-()]", "", phone)
    if not _DIGITS.match(compact) or compact != phone:
        return phone
    if compact.startswith(country_code):
        return f"{country_code} {compact[len(country_code) :]}"
    if compact.startswith("+"):
        return phone
    return f"{country_code} {compact}"


def header(columns: list[str], labels_zh: Mapping[str, str]) -> list[str]:
    """`english / 中文` for each column (English only where no label is known)."""
    return [
        f"{column} / {labels_zh[column]}" if column in labels_zh else column for column in columns
    ]


def _cell(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_workbook(frame: pd.DataFrame, path: Path, labels_zh: Mapping[str, str]) -> None:
    """The list as an .xlsx workbook with typed cells and a frozen bilingual header."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "list"
    sheet.append(header(list(frame.columns), labels_zh))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in frame.itertuples(index=False):
        sheet.append([_cell(value) for value in row])
    for column_cells in sheet.iter_cols(min_row=2):
        for cell in column_cells:
            if isinstance(cell.value, str):
                cell.number_format = "@"  # text: a spreadsheet never turns it into a number
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    for number, name in enumerate(frame.columns, 1):
        width = max(len(header([name], labels_zh)[0]), 10)
        sheet.column_dimensions[sheet.cell(1, number).column_letter].width = min(width + 2, 60)
    workbook.save(path)


def write_send_list(
    frame: pd.DataFrame, folder: Path, name: str, labels_zh: Mapping[str, str]
) -> dict[str, Path]:
    """The customers to contact (treatment only) as <name>.csv, .parquet and .xlsx."""
    send = frame[frame["assignment"] == "treatment"].drop(columns="assignment")
    send = send.reset_index(drop=True)
    paths = {kind: folder / f"{name}.{kind}" for kind in ("csv", "parquet", "xlsx")}
    send.to_csv(paths["csv"], index=False, encoding="utf-8-sig")
    send.to_parquet(paths["parquet"], index=False)
    write_workbook(send, paths["xlsx"], {**HEADER_ZH, **labels_zh})
    return paths


def write_holdout(frame: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """Every held-out customer of the wave, with no contact detail, as holdout.csv and .parquet."""
    holdout = frame.loc[:, HOLDOUT_COLUMNS].reset_index(drop=True)
    paths = {kind: folder / f"{HOLDOUT_FILE}.{kind}" for kind in ("csv", "parquet")}
    holdout.to_csv(paths["csv"], index=False, encoding="utf-8-sig")
    holdout.to_parquet(paths["parquet"], index=False)
    return paths
