"""What the dbt Python models of the predictions read (DuckDB): the purchase days as the fit
reads them, and the model's own last build."""

from __future__ import annotations

import pandas as pd

from orchestration.clv.tables import PURCHASE_DAY_COLUMNS


def purchase_days(relation) -> pd.DataFrame:
    """int_customer_purchase_days (the model's `dbt.ref`, which must stay in the model's own
    file for dbt to see it): only the columns the validation and the fit read, sorted by
    customer and date.

    DuckDB projects and sorts before pandas sees the rows (the other columns are not held in
    memory, and pandas' own sort in orchestration.clv.tables is then quick on sorted rows).
    """
    return (
        relation.project(", ".join(PURCHASE_DAY_COLUMNS)).order("customer_id, purchase_date").df()
    )


def previous_table(dbt, session) -> pd.DataFrame | None:
    """The model's table as the last build left it (None before the first build): a fit
    whose fingerprint it holds is kept (orchestration.clv.tables)."""
    found = session.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = ? and table_schema = ? and table_name = ?",
        [dbt.this.database, dbt.this.schema, dbt.this.identifier],
    ).fetchone()[0]
    return session.execute(f"select * from {dbt.this}").df() if found else None
