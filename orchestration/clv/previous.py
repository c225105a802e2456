"""What a dbt Python model of the predictions reads of its own last build (DuckDB)."""

from __future__ import annotations


def previous_table(dbt, session):
    """The model's table as the last build left it (None before the first build): a fit
    whose fingerprint it holds is kept (orchestration.clv.tables)."""
    found = session.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = ? and table_schema = ? and table_name = ?",
        [dbt.this.database, dbt.this.schema, dbt.this.identifier],
    ).fetchone()[0]
    return session.execute(f"select * from {dbt.this}").df() if found else None
