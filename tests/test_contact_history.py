"""The contact history is the dbt model contact_history; the wave only writes rows into it."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from orchestration.campaigns.engine import HISTORY_COLUMNS
from orchestration.campaigns.selection import MissingHistoryError, history, record_wave
from orchestration.project import load_manifest, model_columns


def test_the_engine_writes_the_columns_of_the_dbt_contract():
    contract = model_columns(load_manifest(), "contact_history")
    assert list(contract) == HISTORY_COLUMNS
    assert contract["wave_date"] == "date"


def test_a_warehouse_without_the_table_says_to_build_it_first():
    connection = duckdb.connect()
    rows = pd.DataFrame(
        {
            "campaign": ["retain"],
            "wave_date": [date(2026, 7, 1)],
            "customer_id": ["c01"],
            "assignment": ["treatment"],
            "priority": [1],
        }
    )
    with pytest.raises(MissingHistoryError, match="run `dbt build`"):
        record_wave(connection, rows, date(2026, 7, 1), ["retain"])
    with pytest.raises(MissingHistoryError, match="contact_history creates it"):
        history(connection)
    # Nothing was created behind dbt's back.
    assert connection.execute("select count(*) from duckdb_tables()").fetchone() == (0,)
