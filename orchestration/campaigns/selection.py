"""Read what a wave needs from the build warehouse and write what it produces (DuckDB)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import duckdb
import pandas as pd

from orchestration.campaigns.columns import (
    CONTACT_COLUMNS,
    LIST_COLUMNS,
    WAVE_COLUMN_TYPES,
    CampaignColumns,
)
from orchestration.campaigns.config import Campaign, CampaignConfigError
from orchestration.campaigns.engine import HISTORY_COLUMNS, WaveList
from orchestration.campaigns.exports import phone_as_text

HISTORY_TABLE = "campaigns.contact_history"


def audience(connection: duckdb.DuckDBPyConnection, campaign: Campaign) -> pd.DataFrame:
    """Customers of marts.customers matching the campaign's audience condition."""
    try:
        return connection.execute(
            f"""
            select customer_id, total_lifetime_value
            from marts.customers
            where ({campaign.audience})
            """
        ).df()
    except duckdb.Error as error:
        raise CampaignConfigError(
            f"Campaign {campaign.name}: audience `{campaign.audience}` failed on the "
            f"warehouse: {error}"
        ) from error


def as_of_date(connection: duckdb.DuckDBPyConnection) -> date | None:
    """The marts' as-of date: the day the data describes (None when there is no customer)."""
    (day,) = connection.execute("select max(as_of_date) from marts.customers").fetchone()
    return day


def contacts(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.execute(
        "select customer_id, marketing_consent, held_back_reasons, full_name, email, phone "
        "from restricted.customer_contacts"
    ).df()


def suppressions(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.execute(
        "select customer_id, reason, suppressed_at, lifted_at "
        "from restricted.marketing_suppressions"
    ).df()


class MissingHistoryError(RuntimeError):
    """The warehouse has no contact history table: dbt has not built it yet."""


def _require_history_table(connection: duckdb.DuckDBPyConnection) -> None:
    # The table is the dbt model contact_history (its contract holds the columns).
    schema, table = HISTORY_TABLE.split(".")
    if not connection.execute(
        "select 1 from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
    ).fetchone():
        raise MissingHistoryError(
            f"The warehouse has no table {HISTORY_TABLE}: run `dbt build` (or `make run`) "
            "first; the dbt model contact_history creates it."
        )


def history(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every wave recorded so far."""
    _require_history_table(connection)
    return connection.execute(f"select {', '.join(HISTORY_COLUMNS)} from {HISTORY_TABLE}").df()


def record_wave(
    connection: duckdb.DuckDBPyConnection, rows: pd.DataFrame, wave_date: date, names: list[str]
) -> None:
    """Replace this wave's rows of these campaigns: re-running a wave never duplicates it."""
    _require_history_table(connection)
    connection.execute("begin transaction")
    try:
        connection.execute(
            f"delete from {HISTORY_TABLE} where wave_date = ? and campaign in "
            f"(select unnest(?::varchar[]))",
            [wave_date, names],
        )
        connection.register("wave_rows", rows)
        connection.execute(
            f"insert into {HISTORY_TABLE} by name "
            f"select {', '.join(HISTORY_COLUMNS)} from wave_rows"
        )
        connection.unregister("wave_rows")
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise


class ListExport(NamedTuple):
    """A list as marketing receives it, and the DuckDB type of each of its columns."""

    frame: pd.DataFrame
    column_types: dict[str, str]


def export_frame(
    connection: duckdb.DuckDBPyConnection, wave: WaveList, wave_date: date, country_code: str
) -> ListExport:
    """The list as marketing receives it: mart columns, contact details, assignment, offer.

    The as-of date is the marts' (the data's last day), the wave date the
    day the list is made; phone numbers are written as text (phone_as_text).
    The column types are the marts' (pandas loses them, e.g. on an empty list).
    """
    details = wave.campaign.columns
    own_columns = (
        "".join(f"details.{column.name}, " for column in details.select) if details else ""
    )
    connection.register("wave_members", wave.members[["customer_id", "assignment"]])
    try:
        cursor = connection.execute(
            f"""
            {_details_cte(details)}
            select
                customers.as_of_date,
                {", ".join(f"customers.{column}" for column in LIST_COLUMNS)},
                {own_columns}
                {", ".join(f"contacts.{column}" for column in CONTACT_COLUMNS)},
                members.assignment
            from wave_members as members
            inner join marts.customers as customers
                on members.customer_id = customers.customer_id
            inner join restricted.customer_contacts as contacts
                on members.customer_id = contacts.customer_id
            {"left join details on members.customer_id = details.customer_id" if details else ""}
            order by customers.total_lifetime_value desc, customers.customer_id
            """
        )
        column_types = {column[0]: str(column[1]) for column in cursor.description}
        frame = cursor.df()
    finally:
        connection.unregister("wave_members")
    frame.insert(0, "campaign", wave.campaign.name)
    frame.insert(1, "wave_date", wave_date)
    frame["phone"] = frame["phone"].map(lambda phone: phone_as_text(phone, country_code))
    frame["channel"] = wave.campaign.channel
    frame["offer_en"] = wave.campaign.offer_en
    frame["offer_zh"] = wave.campaign.offer_zh
    column_types |= {column: kind for column, kind in WAVE_COLUMN_TYPES.items() if kind}
    column_types["phone"] = "VARCHAR"  # rewritten as text above
    return ListExport(frame, {column: column_types[column] for column in frame.columns})


def save_list(connection: duckdb.DuckDBPyConnection, name: str, export: ListExport) -> None:
    """The list as table campaigns.<name>, each column of its mart's type."""
    connection.register("list_frame", export.frame)
    try:
        connection.execute(
            f"create or replace table campaigns.{name} as select "
            + ", ".join(
                f'cast("{column}" as {kind}) as "{column}"'
                for column, kind in export.column_types.items()
            )
            + " from list_frame"
        )
    finally:
        connection.unregister("list_frame")


def _details_cte(details: CampaignColumns | None) -> str:
    """The campaign's own columns, one row per listed customer (the first by first_by)."""
    if details is None:
        return ""
    source = details.source
    return f"""
        with details as (
            select
                {source}.customer_id,
                {", ".join(f"{column.sql} as {column.name}" for column in details.select)}
            from marts.{source} as {source}
            where {source}.customer_id in (select wave_members.customer_id from wave_members)
            qualify row_number() over (
                partition by {source}.customer_id order by {details.first_by or "1"}
            ) = 1
        )
    """
