"""The columns of a campaign list: those every list carries, and each campaign's own.

A campaign declares in campaigns.yml what the contact is about, e.g. a
reminder's product and due date:

    columns:
      from: replacement_due        # the mart they come from (default: customers)
      first_by: due_date           # a customer with several rows: the first in this order
      select:
        - {name: product, sql: product_name, zh: 产品}

Each `sql` is an expression on the columns of the `from` mart (in a
subquery, other marts with qualified columns, as in audiences). They are
checked when the file is loaded, against the dbt manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

if TYPE_CHECKING:
    from orchestration.campaigns.config import Campaign

# The mart columns every list carries, then the contact details joined at the edge.
LIST_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "customer_type",
    "value_tier",
    "total_lifetime_value",
    "loyalty_class",
    "loyalty_ladder_stage",
    "lifecycle_status",
    "churn_risk_band",
    "last_purchase_date",
)
CONTACT_COLUMNS: tuple[str, ...] = ("full_name", "email", "phone")
# Added by the wave around them, each with the DuckDB type the wave gives it (None: the
# mart's type, as_of_date being the mart's).
WAVE_COLUMN_TYPES: dict[str, str | None] = {
    "campaign": "VARCHAR",
    "wave_date": "DATE",
    "as_of_date": None,
    "assignment": "VARCHAR",
    "channel": "VARCHAR",
    "offer_en": "VARCHAR",
    "offer_zh": "VARCHAR",
}
WAVE_COLUMNS: tuple[str, ...] = tuple(WAVE_COLUMN_TYPES)
_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = ("from", "first_by", "select")


class ColumnsError(ValueError):
    """A campaign's `columns:` is not valid (the caller adds file and campaign)."""


@dataclass(frozen=True)
class ListColumn:
    name: str
    sql: str
    label_zh: str


@dataclass(frozen=True)
class CampaignColumns:
    source: str
    first_by: str | None
    select: tuple[ListColumn, ...]

    @property
    def labels_zh(self) -> dict[str, str]:
        return {column.name: column.label_zh for column in self.select}


def parse_columns(entry: object) -> CampaignColumns:
    """The `columns:` mapping of one campaign, its shape checked (not yet its SQL)."""
    if not isinstance(entry, dict):
        raise ColumnsError(f"columns must be a mapping with keys {', '.join(_KEYS)}.")
    unknown = sorted(set(entry) - set(_KEYS))
    if unknown or "select" not in entry:
        raise ColumnsError(
            f"columns: unknown key(s) {unknown or 'none'}"
            f"{'' if 'select' in entry else ', select missing'} (allowed: {', '.join(_KEYS)})."
        )
    source = str(entry.get("from", "customers"))
    first_by = entry.get("first_by")
    items = entry["select"]
    if not isinstance(items, list) or not items:
        raise ColumnsError("columns.select must be a non-empty list of {name, sql, zh}.")
    taken = set(LIST_COLUMNS) | set(CONTACT_COLUMNS) | set(WAVE_COLUMNS)
    select = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != {"name", "sql", "zh"}:
            raise ColumnsError(
                f"columns.select #{number}: expected exactly the keys name, sql and zh "
                f"(e.g. {{name: product, sql: product_name, zh: 产品}}), not {item!r}."
            )
        name = str(item["name"])
        if not _NAME_PATTERN.match(name):
            raise ColumnsError(
                f"columns.select #{number}: name {name!r} must be lower_snake_case "
                "(it becomes a column name)."
            )
        if name in taken:
            raise ColumnsError(
                f"columns.select #{number}: name {name!r} is already a column of every list "
                "or of this one; choose another name."
            )
        taken.add(name)
        select.append(ListColumn(name, str(item["sql"]), str(item["zh"])))
    return CampaignColumns(source, None if first_by is None else str(first_by), tuple(select))


def check_columns(columns: CampaignColumns, mart_columns: dict[str, set[str]]) -> None:
    """Every expression parses and names only columns of the marts it reads."""
    if columns.source not in mart_columns:
        raise ColumnsError(
            f"columns.from `{columns.source}` is not a mart "
            f"(marts: {', '.join(sorted(mart_columns))})."
        )
    if "customer_id" not in mart_columns[columns.source]:
        raise ColumnsError(
            f"columns.from `{columns.source}` has no customer_id: a list's columns come from "
            "a mart with one or more rows per customer."
        )
    for column in columns.select:
        _check_sql(column.sql, f"columns `{column.name}`", columns.source, mart_columns)
    if columns.first_by is not None:
        _check_sql(columns.first_by, "columns.first_by", columns.source, mart_columns, order=True)


def _check_sql(
    text: str, what: str, source: str, mart_columns: dict[str, set[str]], order: bool = False
) -> None:
    try:
        parsed = sqlglot.parse_one(f"select 1 order by {text}" if order else text, dialect="duckdb")
    except sqlglot.errors.ParseError as error:
        raise ColumnsError(
            f"{what}: `{text}` is not a valid SQL "
            f"{'order' if order else 'expression'}: {str(error).splitlines()[0]}"
        ) from error
    if not order and (isinstance(parsed, exp.Select | exp.Union) or parsed.find(exp.Command)):
        raise ColumnsError(f"{what}: `{text}` must be an expression, not a query.")
    aliases: dict[str, str] = {source: source}
    for table in parsed.find_all(exp.Table):
        if table.name not in mart_columns:
            raise ColumnsError(
                f"{what}: `{text}` reads `{table.sql()}`, which is not a mart "
                f"(marts: {', '.join(sorted(mart_columns))})."
            )
        aliases[table.alias_or_name] = table.name
    for column in parsed.find_all(exp.Column):
        mart = aliases.get(column.table) if column.table else source
        known = mart_columns.get(mart, set()) if mart else set()
        if mart is None or column.name not in known:
            raise ColumnsError(
                f"{what}: `{text}` names unknown column `{column.sql()}`; unqualified names "
                f"are columns of marts.{source}: {', '.join(sorted(mart_columns[source]))}."
            )


def marts_read(campaign: Campaign) -> list[str]:
    """The marts a campaign's own columns read, besides customers (its asset's upstream)."""
    if campaign.columns is None:
        return []
    tables = {campaign.columns.source}
    for column in campaign.columns.select:
        tables |= {
            table.name
            for table in sqlglot.parse_one(column.sql, dialect="duckdb").find_all(exp.Table)
        }
    return sorted(tables - {"customers"})
